//! The vocabularies of the two dated schemas (ACLED events, security assistance) and of
//! places. Pure constants: `build.rs` includes this file too, so the build-time check of the
//! shipped data and the app's attribute forms use one list.

/// The ACLED event keys, in ACLED order; `events.geojson` properties must be exactly these.
pub const ACLED_KEYS: [&str; 18] = [
    "event_id_cnty",
    "event_date",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "country",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
];

/// ACLED event types and their sub-event types (6 types, 25 sub-types).
pub const ACLED_TYPES: [(&str, &[&str]); 6] = [
    ("Battles", &["Armed clash", "Government regains territory", "Non-state actor overtakes territory"]),
    (
        "Explosions/Remote violence",
        &[
            "Chemical weapon",
            "Air/drone strike",
            "Suicide bomb",
            "Shelling/artillery/missile attack",
            "Remote explosive/landmine/IED",
            "Grenade",
        ],
    ),
    ("Violence against civilians", &["Sexual violence", "Attack", "Abduction/forced disappearance"]),
    ("Protests", &["Peaceful protest", "Protest with intervention", "Excessive force against protesters"]),
    ("Riots", &["Violent demonstration", "Mob violence"]),
    (
        "Strategic developments",
        &[
            "Agreement",
            "Arrests",
            "Change to group/activity",
            "Disrupted weapons use",
            "Headquarters or base established",
            "Looting/property destruction",
            "Non-violent transfer of territory",
            "Other",
        ],
    ),
];

/// Required keys of `aid.geojson` properties.
pub const AID_REQUIRED: [&str; 10] =
    ["id", "donor", "recipient", "aid_type", "title", "status", "location", "geo_precision", "source", "notes"];

/// Allowed `aid_type` values.
pub const AID_TYPES: [&str; 5] = ["facility", "equipment", "funding", "training", "deployment"];

/// Allowed aid `status` values.
pub const AID_STATUSES: [&str; 7] =
    ["announced", "planned", "under construction", "completed", "ongoing", "delivered", "unknown"];

/// Allowed place `kind` values.
pub const PLACE_KINDS: [&str; 6] = ["capital", "city", "town", "village", "district_seat", "post"];

/// ACLED disorder types.
pub const DISORDER_TYPES: [&str; 4] =
    ["Political violence", "Demonstrations", "Strategic developments", "Political violence; Demonstrations"];

/// The sub-event types of an ACLED event type (empty for an unknown type).
pub fn sub_event_types(event_type: &str) -> &'static [&'static str] {
    ACLED_TYPES.iter().find(|(t, _)| *t == event_type).map_or(&[], |(_, subs)| subs)
}
