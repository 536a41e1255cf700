//! A one-event ACLED export (header and a row in Khorog), for tests that need a real ACLED CSV
//! file without the generator.

/// The export's text.
pub const ONE_EVENT: &str = "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,country,\
admin1,location,latitude,longitude,geo_precision,source,notes,fatalities\n\
TJK1,2021-06-01,2021,1,Political violence,Battles,Armed clash,A,Tajikistan,GBAO,Khorog,37.49,71.55,1,S,n,0\n";
