//! Every operation of the HTTP API, by its OpenAPI `operationId`, with its method and path
//! template, generated from `schemas/openapi.json` by `cli/build.rs`. Commands name these
//! constants, and each command group lists which command calls which operation (`OPS` in each
//! `commands::*` module); the parity test checks that every operation has a command.

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

/// One operation of the API.
#[derive(Debug, PartialEq, Eq)]
pub struct Op {
    /// The OpenAPI `operationId`.
    pub id: &'static str,
    pub method: Method,
    /// The path template, `{name}` for each path parameter, in order.
    pub path: &'static str,
}

impl Op {
    /// The path with `params` filled in (percent-encoded), in the order of the template.
    pub fn path_with(&self, params: &[&str]) -> String {
        let mut out = String::new();
        let mut rest = self.path;
        let mut params = params.iter();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .map_or(rest.len(), |e| start + e + 1);
            out.push_str(&encode_segment(params.next().copied().unwrap_or_default()));
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const fn op(id: &'static str, method: Method, path: &'static str) -> Op {
    Op { id, method, path }
}

// The table itself: one constant per `operationId` (`ops::GET_HEALTH`, ...), each of which some
// command calls (the parity test), so none is dead code.
include!(concat!(env!("OUT_DIR"), "/ops.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_filled_in_order_and_encoded() {
        assert_eq!(
            DECIDE_REQUEST.path_with(&["s 1", "r/2"]),
            "/api/sessions/s%201/requests/r%2F2/decision"
        );
        assert_eq!(LIST_SESSIONS.path_with(&[]), "/api/sessions");
        assert_eq!(Method::parse("patch"), Some(Method::Patch));
    }
}
