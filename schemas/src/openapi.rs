//! The bridge from these types' JSON Schemas (schemars, the one source of truth for the bus and
//! for HTTP) to utoipa, which documents the gateway's operations.
//!
//! utoipa wants a `ToSchema` for every body it names. Deriving it next to `JsonSchema` would give
//! every type two descriptions that can drift apart, and converting a JSON Schema into utoipa's
//! model loses keywords it does not know. So `openapi_schema!` implements `ToSchema` with the
//! schemars name and a placeholder that carries the schemars output verbatim in an extension;
//! [`resolve_components`] then swaps the placeholders for the real schemas (JSON Schema 2020-12
//! is OpenAPI 3.1's dialect, so they go in unchanged) and hoists their definitions into
//! `components.schemas`.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema};

pub use schemars;
pub use utoipa;

/// The extension that carries a placeholder's schemars output.
const EXTENSION: &str = "x-cm-schemars";

/// Implements utoipa's `ToSchema` for types that implement `JsonSchema`.
#[macro_export]
macro_rules! openapi_schema {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::openapi::utoipa::PartialSchema for $ty {
            fn schema() -> $crate::openapi::utoipa::openapi::RefOr<
                $crate::openapi::utoipa::openapi::schema::Schema,
            > {
                $crate::openapi::placeholder::<$ty>()
            }
        }
        impl $crate::openapi::utoipa::ToSchema for $ty {
            fn name() -> ::std::borrow::Cow<'static, str> {
                <$ty as $crate::openapi::schemars::JsonSchema>::schema_name()
            }
        }
    )*};
}

/// A schema object whose only content is `T`'s schemars output: `{root, defs}` where `root` is
/// `T`'s schema or a `$ref` into `defs`, and refs already point at `#/components/schemas/`.
pub fn placeholder<T: JsonSchema>() -> RefOr<Schema> {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let root = generator.subschema_for::<T>();
    let defs = generator.take_definitions(true);
    let carried = json!({ "root": root, "defs": defs });
    ObjectBuilder::new()
        .extensions(Some(
            ExtensionsBuilder::new().add(EXTENSION, carried).build(),
        ))
        .into()
}

/// Replaces every placeholder in `doc.components.schemas` with its schema and adds the
/// definitions it refers to. Two different schemas under one name are an error: the names are
/// the Rust type names, and a clash would make a `$ref` ambiguous.
pub fn resolve_components(doc: &mut Value) -> Result<(), String> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let mut resolved = Map::new();
    let mut defs = Map::new();
    for (name, schema) in std::mem::take(schemas) {
        let Some(carried) = schema.get(EXTENSION) else {
            resolved.insert(name, schema);
            continue;
        };
        let root = &carried["root"];
        let own_ref = format!("#/components/schemas/{name}");
        let mut carried_defs = carried["defs"].as_object().cloned().unwrap_or_default();
        let schema = if root["$ref"] == own_ref.as_str() {
            carried_defs
                .remove(&name)
                .ok_or_else(|| format!("schema {name}: its definition is missing"))?
        } else {
            root.clone()
        };
        add(&mut resolved, name, schema)?;
        for (n, s) in carried_defs {
            add(&mut defs, n, s)?;
        }
    }
    for (name, schema) in defs {
        add(&mut resolved, name, schema)?;
    }
    resolved.sort_keys();
    *schemas = resolved;
    Ok(())
}

fn add(into: &mut Map<String, Value>, name: String, schema: Value) -> Result<(), String> {
    match into.get(&name) {
        Some(existing) if *existing != schema => Err(format!(
            "two different schemas are named {name}: rename one with #[schemars(rename = ...)]"
        )),
        Some(_) => Ok(()),
        None => {
            into.insert(name, schema);
            Ok(())
        }
    }
}

crate::openapi_schema!(
    crate::BusError,
    crate::Event,
    crate::StreamedEvent,
    crate::controls::ControlDefaults,
    crate::controls::Controls,
    crate::controls::ControlsPatch,
    crate::controls::SessionControls,
    crate::controls::Setting,
    crate::controls::SettingList,
    crate::http::Capabilities,
    crate::http::Decision,
    crate::http::EntryBody,
    crate::http::ErrorBody,
    crate::http::Health,
    crate::http::MoveBody,
    crate::http::ProjectPatch,
    crate::http::Readiness,
    crate::http::ReviewBody,
    crate::http::RollbackBody,
    crate::http::SendMessage,
    crate::http::ServiceList,
    crate::http::SessionPatch,
    crate::http::Steer,
    crate::job::EnqueueJob,
    crate::job::Enqueued,
    crate::job::JobInfo,
    crate::job::JobPage,
    crate::lifecycle::RolledBack,
    crate::lifecycle::SessionActionResult,
    crate::project::BulkResult,
    crate::project::CreateProject,
    crate::project::ProjectInfo,
    crate::project::ProjectList,
    crate::request::RequestRecord,
    crate::runtime::RuntimeStatus,
    crate::session::CreateSession,
    crate::session::SessionInfo,
    crate::session::SessionPage,
    crate::session::SessionSnapshot,
    crate::session::TranscriptEntry,
    crate::session::TurnAccepted,
    crate::thread::TurnOverrides,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_with(names: &[(&str, RefOr<Schema>)]) -> Value {
        let schemas: Map<String, Value> = names
            .iter()
            .map(|(n, s)| (n.to_string(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        json!({ "components": { "schemas": schemas } })
    }

    #[test]
    fn placeholders_become_schemas_and_their_definitions_are_hoisted() {
        let mut doc = doc_with(&[(
            "SessionSnapshot",
            placeholder::<crate::session::SessionSnapshot>(),
        )]);
        resolve_components(&mut doc).unwrap_or_else(|e| panic!("{e}"));
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["SessionSnapshot"]["type"], "object");
        assert_eq!(
            schemas["SessionSnapshot"]["properties"]["session"]["$ref"],
            "#/components/schemas/SessionInfo"
        );
        assert_eq!(schemas["SessionInfo"]["type"], "object");
        assert!(schemas["TurnRecord"].is_object());
        assert!(doc.to_string().find(EXTENSION).is_none());
    }

    #[test]
    fn a_name_clash_is_an_error() {
        let mut doc = json!({ "components": { "schemas": {
            "A": { EXTENSION: { "root": {"type": "string"}, "defs": { "B": {"type": "string"} } } },
            "C": { EXTENSION: { "root": {"type": "string"}, "defs": { "B": {"type": "integer"} } } },
        } } });
        let err = resolve_components(&mut doc).err().unwrap_or_default();
        assert!(err.contains("named B"), "{err}");
    }
}
