//! The OpenAPI 3 description of `/api/v1`, served at `/api/v1/openapi.json`.

use serde_json::{json, Value};

fn param(name: &str, description: &str, required: bool) -> Value {
    json!({ "name": name, "in": "query", "required": required,
            "description": description, "schema": { "type": "string" } })
}

fn ok(description: &str) -> Value {
    json!({ "200": { "description": description, "content": { "application/json": {} } },
            "400": { "$ref": "#/components/responses/Error" },
            "401": { "$ref": "#/components/responses/Error" },
            "421": { "$ref": "#/components/responses/Error" } })
}

/// What a state-changing call may answer besides its success.
fn change_errors(mut v: Value) -> Value {
    for code in ["400", "401", "403", "409", "413", "421"] {
        v[code] = json!({ "$ref": "#/components/responses/Error" });
    }
    v
}

fn range_params(extra: Option<Value>) -> Value {
    let mut v = vec![
        param("metric", "a metric name from /catalog", true),
        json!({ "name": "match", "in": "query", "required": false, "explode": true,
                "description": "label matcher name=glob, name!=glob, name=~re, name!~re (repeatable; a term needs its label, except that name= selects series without it)",
                "schema": { "type": "array", "items": { "type": "string" } } }),
        param(
            "start",
            "epoch ms, RFC 3339, now, or -5m style offset (default -1h)",
            false,
        ),
        param("end", "as start (default now)", false),
        param(
            "step",
            "bucket width, e.g. 10s, 5m (default range/600)",
            false,
        ),
    ];
    v.extend(extra);
    Value::Array(v)
}

fn paths() -> Value {
    json!({
        "/config": { "get": { "summary": "page settings and thresholds", "responses": ok("settings") } },
        "/catalog": { "get": { "summary": "the metric catalogue: every metric's name, kind, unit, help, labels, derivation, Prometheus name, role and source; the labels; the aggregate marker",
                               "responses": ok("catalogue") } },
        "/status": { "get": { "summary": "the agent's own status: series held, stream clients, and each source's and sink's counts",
                              "responses": ok("status") } },
        "/snapshot": { "get": { "summary": "newest value of every series, with the sources' and sinks' counts", "responses": ok("samples") } },
        "/caps": { "get": { "summary": "data caps: used, limit, forecast, period end, reach", "responses": ok("caps") } },
        "/interfaces": { "get": { "summary": "interfaces with link state and rates", "responses": ok("interfaces") } },
        "/devices": { "get": { "summary": "every known device: LAN devices (name, ip, mac, rx/tx rate now, bytes since start, active, new) and probe targets (reachability, RTT, loss, uptime %), one entry for a device that is both; last_seen",
                               "responses": ok("devices") } },
        "/devices/report": { "get": { "summary": "each LAN device's internet and LAN bytes over a range, exact sums of the stored deltas, most bytes first",
                               "parameters": [param("since", "how far back: a duration (24h, 7d; default 24h) or a time (-24h, RFC 3339, epoch ms); rounded down to its minute", false),
                                              param("format", "json (default) or csv; without it, Accept: text/csv gives CSV", false)],
                               "responses": {
                                   "200": { "description": "report", "content": { "application/json": {}, "text/csv": {} } },
                                   "400": { "$ref": "#/components/responses/Error" },
                                   "401": { "$ref": "#/components/responses/Error" },
                                   "421": { "$ref": "#/components/responses/Error" },
                                   "503": { "$ref": "#/components/responses/Error" } } } },
        "/series": { "get": { "summary": "history of a metric's series, bucketed; tier chosen by step and range",
                              "parameters": range_params(None), "responses": ok("series") } },
        "/export": { "get": { "summary": "a range as a CSV or JSON download",
                              "parameters": range_params(Some(param("format", "csv (default) or json", false))),
                              "responses": {
                                  "200": { "description": "file", "content": { "text/csv": {}, "application/json": {} } },
                                  "400": { "$ref": "#/components/responses/Error" },
                                  "401": { "$ref": "#/components/responses/Error" },
                                  "421": { "$ref": "#/components/responses/Error" } } } },
        "/alerts": { "get": { "summary": "alerts, newest first",
                              "parameters": [param("state", "pending, firing or resolved", false),
                                             param("severity", "minimum: low, medium, high, critical", false),
                                             param("since", "time (default -7d)", false),
                                             param("q", "text in rule, series or message", false),
                                             param("limit", "1 to 1000 (default 200)", false)],
                              "responses": ok("alerts") } },
        "/alerts/{id}/ack": { "post": { "summary": "acknowledge an alert",
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
            "requestBody": { "content": { "application/json": { "schema": { "type": "object",
                "properties": { "by": { "type": "string" } } } } } },
            "responses": change_errors(json!({
                "200": { "description": "acknowledged", "content": { "application/json": {} } },
                "404": { "$ref": "#/components/responses/Error" } })) } },
        "/silences": {
            "get": { "summary": "silences in force", "responses": ok("silences") },
            "post": { "summary": "silence alerts for a while",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object",
                    "required": ["matcher"],
                    "properties": { "matcher": { "type": "string" }, "duration": { "type": "string" },
                                    "comment": { "type": "string" } } } } } },
                "responses": change_errors(json!({ "201": { "description": "created", "content": { "application/json": {} } } })) } },
        "/stream": { "get": { "summary": "Server-Sent Events: 'frame' and 'alert' events",
                              "responses": { "200": { "description": "event stream", "content": { "text/event-stream": {} } } } } }
    })
}

const DESCRIPTION: &str = "See API.md in bandwatch-web. Every request's Host must name this server (localhost, a loopback address, the listen address, or a name in web.allowed_hosts), else 421, against DNS rebinding. A state-changing request whose Origin is not the page's own is 403; on a read-only server (bandwatch serve, recorded history) every state-changing request is 409. A method a path does not take is 405 with an Allow header. Every error is the JSON Error below.";

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": { "title": "bandwatch API", "version": "1", "description": DESCRIPTION },
        "servers": [{ "url": "/api/v1" }],
        "paths": paths(),
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" },
                                 "cookie": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE } },
            "responses": { "Error": { "description": "what is wrong and how to fix it",
                "content": { "application/json": { "schema": { "type": "object",
                    "properties": { "error": { "type": "string" }, "status": { "type": "integer" } } } } } } }
        },
        "security": [{ "bearer": [] }, { "cookie": [] }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_what_the_handlers_answer() {
        let doc = document();
        let export = &doc["paths"]["/export"]["get"]["responses"]["200"]["content"];
        assert!(export.get("text/csv").is_some(), "{export}");
        assert!(export.get("application/json").is_some(), "{export}");
        let report = &doc["paths"]["/devices/report"]["get"];
        for kind in ["application/json", "text/csv"] {
            assert!(
                report["responses"]["200"]["content"].get(kind).is_some(),
                "{report}"
            );
        }
        let names: Vec<&str> = report["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["since", "format"]);
        let ack = &doc["paths"]["/alerts/{id}/ack"]["post"]["responses"];
        assert!(ack.get("404").is_some(), "{ack}");
        let silence = &doc["paths"]["/silences"]["post"]["responses"];
        for code in ["201", "400", "401", "403", "409", "413", "421"] {
            assert!(silence.get(code).is_some(), "{code}: {silence}");
        }
        assert!(doc["paths"]["/config"]["get"]["responses"]
            .get("421")
            .is_some());
        let about = doc["info"]["description"].as_str().unwrap_or_default();
        assert!(
            about.contains("web.allowed_hosts") && about.contains("405"),
            "{about}"
        );
    }
}
