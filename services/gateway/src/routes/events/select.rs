//! Which events a stream carries: an optional scope, scope instance and kinds. A selection maps
//! to one JetStream filter subject (nats-server 2.9 takes one per consumer); whatever the subject
//! cannot express — several kinds — is filtered in the gateway as well.

use cm_schemas::{BusError, Event, Scope, subjects};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindPattern {
    Exact(String),
    /// Every kind starting with this (ends with `.`).
    Prefix(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub scope: Option<Scope>,
    pub scope_id: Option<String>,
    /// Empty: every kind.
    pub kinds: Vec<KindPattern>,
}

impl Selection {
    /// The JetStream filter subject.
    pub fn subject(&self) -> String {
        let root = subjects::EVENTS_SUBJECTS.trim_end_matches('>');
        if self.scope.is_none() && self.scope_id.is_none() && self.kinds.is_empty() {
            return subjects::EVENTS_SUBJECTS.to_owned();
        }
        let scope = self.scope.map_or("*", Scope::as_str);
        let id = self.scope_id.as_deref().unwrap_or("*");
        let kind = match self.kinds.as_slice() {
            [KindPattern::Exact(k)] => k.clone(),
            [KindPattern::Prefix(p)] => format!("{p}>"),
            _ => ">".to_owned(),
        };
        format!("{root}{scope}.{id}.{kind}")
    }

    pub fn matches(&self, event: &Event) -> bool {
        self.scope.is_none_or(|s| s == event.scope)
            && self
                .scope_id
                .as_ref()
                .is_none_or(|id| *id == event.scope_id)
            && (self.kinds.is_empty()
                || self.kinds.iter().any(|k| match k {
                    KindPattern::Exact(k) => k == event.body.kind(),
                    KindPattern::Prefix(p) => event.body.kind().starts_with(p.as_str()),
                }))
    }
}

pub fn parse_scope(s: &str) -> Result<Scope, BusError> {
    [
        Scope::Session,
        Scope::Project,
        Scope::Job,
        Scope::Runtime,
        Scope::Extension,
    ]
    .into_iter()
    .find(|scope| scope.as_str() == s)
    .ok_or_else(|| {
        BusError::validation(
            "scope",
            format!("unknown scope {s:?}: one of session, project, job, runtime, extension"),
        )
    })
}

/// An id that is one subject token.
pub fn check_id(field: &str, id: &str) -> Result<String, BusError> {
    let ok = !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| !matches!(c, '.' | '*' | '>') && !c.is_whitespace() && !c.is_control());
    if ok {
        Ok(id.to_owned())
    } else {
        Err(BusError::validation(
            field,
            format!("{field} must be a single id (no '.', '*', '>' or spaces)"),
        ))
    }
}

const MAX_KINDS: usize = 32;

/// What `kind=` accepts, as the OpenAPI document states it: 1 to 32 kinds or prefixes separated
/// by commas (spaces around them allowed); `*` or `>` alone is every kind.
pub const KINDS_PATTERN: &str = r"^ *(\*|>|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*|\.>)?)( *, *(\*|>|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*|\.>)?)){0,31} *$";

/// `kind=item.delta`, `kind=item.*` (a prefix; also `item.>`), several separated by commas;
/// `*` alone means every kind. An absent `kind` is every kind; an empty one or an empty part
/// is refused ([`KINDS_PATTERN`]).
pub fn parse_kinds(s: Option<&str>) -> Result<Vec<KindPattern>, BusError> {
    let Some(s) = s else {
        return Ok(Vec::new());
    };
    let mut kinds = Vec::new();
    let mut every = false;
    for part in s.split(',').map(|p| p.trim_matches(' ')) {
        if kinds.len() == MAX_KINDS {
            return Err(BusError::validation(
                "kind",
                format!("at most {MAX_KINDS} kinds"),
            ));
        }
        if part == "*" || part == ">" {
            every = true;
            kinds.push(KindPattern::Prefix(String::new()));
            continue;
        }
        let (stem, prefix) = match part.strip_suffix(".*").or(part.strip_suffix(".>")) {
            Some(stem) => (stem, true),
            None => (part, false),
        };
        let valid = stem.split('.').all(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
        if !valid {
            return Err(BusError::validation(
                "kind",
                format!(
                    "invalid kind {part:?}: a kind such as item.delta or a prefix such as item.*"
                ),
            ));
        }
        kinds.push(if prefix {
            KindPattern::Prefix(format!("{stem}."))
        } else {
            KindPattern::Exact(stem.to_owned())
        });
    }
    Ok(if every { Vec::new() } else { kinds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cm_schemas::EventBody;

    fn sel(scope: Option<Scope>, id: Option<&str>, kinds: &str) -> Selection {
        Selection {
            scope,
            scope_id: id.map(str::to_owned),
            kinds: parse_kinds((!kinds.is_empty()).then_some(kinds)).unwrap_or_default(),
        }
    }

    #[test]
    fn selections_map_to_one_filter_subject() {
        assert_eq!(sel(None, None, "").subject(), "cm.v1.evt.>");
        assert_eq!(
            sel(Some(Scope::Session), Some("s1"), "").subject(),
            "cm.v1.evt.session.s1.>"
        );
        assert_eq!(
            sel(Some(Scope::Runtime), None, "").subject(),
            "cm.v1.evt.runtime.*.>"
        );
        assert_eq!(
            sel(None, None, "turn.completed").subject(),
            "cm.v1.evt.*.*.turn.completed"
        );
        assert_eq!(
            sel(Some(Scope::Session), Some("s1"), "item.*").subject(),
            "cm.v1.evt.session.s1.item.>"
        );
        assert_eq!(
            sel(Some(Scope::Session), None, "item.delta,turn.completed").subject(),
            "cm.v1.evt.session.*.>"
        );
    }

    #[test]
    fn kinds_filter_in_the_gateway_too() {
        let delta = Event::session(
            "s1",
            EventBody::TurnStarted {
                turn_id: "t".into(),
            },
        );
        assert!(sel(None, None, "turn.*").matches(&delta));
        assert!(sel(None, None, "item.delta, turn.started").matches(&delta));
        assert!(!sel(None, None, "item.*").matches(&delta));
        assert!(!sel(Some(Scope::Session), Some("s2"), "").matches(&delta));
        assert!(!sel(Some(Scope::Runtime), None, "").matches(&delta));
        assert_eq!(parse_kinds(Some("*")).map(|k| k.len()).ok(), Some(0));
        assert_eq!(parse_kinds(None).map(|k| k.len()).ok(), Some(0));
        assert!(parse_kinds(Some("item.")).is_err());
        assert!(parse_kinds(Some("Item.delta")).is_err());
        assert!(parse_kinds(Some("item.>.x")).is_err());
        assert!(parse_kinds(Some("")).is_err());
        assert!(parse_kinds(Some("item.delta,,turn.started")).is_err());
        assert!(parse_kinds(Some("item.delta,\tturn.started")).is_err());
        assert!(check_id("sessionId", "a.b").is_err());
        assert!(parse_scope("jobs").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn no_kind_list_panics(s in proptest::prelude::any::<String>()) {
            let _ = parse_kinds(Some(&s));
        }

        #[test]
        fn kind_lists_of_the_documented_grammar_are_accepted(
            s in "(\\*|[a-z0-9_]{1,8}(\\.[a-z0-9_]{1,8}){0,2}(\\.\\*)?)( ?, ?[a-z0-9_]{1,8}(\\.[a-z0-9_]{1,8}){0,2}(\\.\\*)?){0,5}"
        ) {
            proptest::prop_assert!(parse_kinds(Some(&s)).is_ok(), "{s:?}");
        }
    }
}
