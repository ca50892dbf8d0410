//! String enums of the contract that keep values they do not know.
//!
//! Every enum here has an `Unknown(String)` variant, for two reasons. Values that come from the
//! runtime and that we only store and pass on (item types) must survive a newer app-server
//! unchanged, so deserializing and serializing them again gives back the same string. Values
//! that come from our clients (the controls, a decision) must still be refused with
//! `validation` naming their own field, as the services always did: a closed serde enum would
//! fail the whole body instead (`details.field = "body"`), so the body is read with the value
//! kept as `Unknown` and the service that checks it refuses it by name.
//!
//! `closed` enums are documented (JSON Schema, OpenAPI) with their known values only, since
//! anything else is refused; `open` ones as any string, since anything else passes through.

/// Declares a string enum with an `Unknown(String)` catch-all; see the module docs.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($schema:ident) {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this build does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The known values as spelled on the wire.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Unknown(_) => Self::Unknown(s),
                    known => known,
                }
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self::from)
            }
        }

        impl ::schemars::JsonSchema for $name {
            // Inline: the documents keep describing these as plain string properties (with
            // their values) rather than gaining a component per enum.
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                $crate::wire_enum::$schema(Self::NAMES)
            }
        }
    };
}

pub(crate) use wire_enum;

/// Only the known values are valid.
pub(crate) fn closed(names: &[&str]) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "enum": names })
}

/// Any string is valid: a newer runtime may send values this build has not heard of.
pub(crate) fn open(_known: &[&str]) -> schemars::Schema {
    schemars::json_schema!({ "type": "string" })
}

#[cfg(test)]
mod tests {
    wire_enum! {
        /// A test enum.
        pub enum Colour(closed) {
            Red = "red",
            DeepBlue = "deep-blue",
        }
    }

    #[test]
    fn known_values_parse_and_print_their_wire_name() {
        let c: Colour = serde_json::from_str("\"deep-blue\"").unwrap();
        assert_eq!(c, Colour::DeepBlue);
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"deep-blue\"");
        assert_eq!(Colour::NAMES, ["red", "deep-blue"]);
    }

    #[test]
    fn an_unknown_value_round_trips_unchanged() {
        let c: Colour = serde_json::from_str("\"ultra-Violet\"").unwrap();
        assert_eq!(c, Colour::Unknown("ultra-Violet".into()));
        assert!(!c.is_known());
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"ultra-Violet\"");
    }

    #[test]
    fn a_non_string_is_refused() {
        assert!(serde_json::from_str::<Colour>("3").is_err());
    }
}
