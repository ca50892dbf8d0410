//! `account`: who the runtime is signed in as, rate limits, log in and out.

use clap::Subcommand;
use serde_json::json;

use super::{Ctx, merge};
use crate::client::Query;
use crate::exit::CliError;
use crate::ops::{self, Op};

pub const OPS: &[(&str, &Op)] = &[
    ("account show", &ops::GET_ACCOUNT),
    ("account rate-limits", &ops::GET_ACCOUNT_RATE_LIMITS),
    ("account login", &ops::START_ACCOUNT_LOGIN),
    ("account cancel-login", &ops::CANCEL_ACCOUNT_LOGIN),
    ("account logout", &ops::LOGOUT_ACCOUNT),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager account show
  codex-manager account rate-limits --json
  codex-manager account login --api-key \"$OPENAI_API_KEY\"
  codex-manager account login --chatgpt          # prints the URL to open
  codex-manager account cancel-login <LOGIN_ID>
  codex-manager account logout")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The signed-in account.
    Show {
        /// Refresh the account's token first.
        #[arg(long)]
        refresh_token: bool,
    },
    /// The account's rate limits.
    RateLimits {
        /// Leave out the details of credits that reset.
        #[arg(long)]
        exclude_reset_credit_details: bool,
    },
    /// Sign the runtime in.
    Login {
        /// With an API key.
        #[arg(long, group = "how")]
        api_key: Option<String>,
        /// With ChatGPT in a browser.
        #[arg(long, group = "how")]
        chatgpt: bool,
        /// With ChatGPT and a device code.
        #[arg(long, group = "how")]
        device_code: bool,
        /// The runtime's login parameters as JSON.
        #[arg(long, value_name = "JSON", group = "how")]
        data: Option<String>,
    },
    /// Cancel a login that is waiting for the browser.
    CancelLogin { login_id: String },
    /// Sign the runtime out.
    Logout,
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    let v = match args.cmd {
        Cmd::Show { refresh_token } => {
            let query = Query::new().flag("refreshToken", refresh_token);
            c.call(&ops::GET_ACCOUNT, &[], query, None).await?
        }
        Cmd::RateLimits {
            exclude_reset_credit_details,
        } => {
            let query =
                Query::new().flag("excludeResetCreditDetails", exclude_reset_credit_details);
            c.call(&ops::GET_ACCOUNT_RATE_LIMITS, &[], query, None)
                .await?
        }
        Cmd::Login {
            api_key,
            chatgpt,
            device_code,
            data,
        } => {
            let body = match (api_key, chatgpt, device_code) {
                (Some(key), ..) => json!({ "type": "apiKey", "apiKey": key }),
                (_, true, _) => json!({ "type": "chatgpt" }),
                (_, _, true) => json!({ "type": "chatgptDeviceCode" }),
                _ if data.is_some() => merge(data.as_deref(), json!({}))?,
                _ => {
                    return Err(CliError::usage(
                        "say how: --api-key, --chatgpt, --device-code or --data",
                    )
                    .into());
                }
            };
            c.call(&ops::START_ACCOUNT_LOGIN, &[], Query::new(), Some(body))
                .await?
        }
        Cmd::CancelLogin { login_id } => {
            let body = json!({ "loginId": login_id });
            c.call(&ops::CANCEL_ACCOUNT_LOGIN, &[], Query::new(), Some(body))
                .await?
        }
        Cmd::Logout => {
            c.call(&ops::LOGOUT_ACCOUNT, &[], Query::new(), None)
                .await?
        }
    };
    ctx.out.any(&v);
    Ok(())
}
