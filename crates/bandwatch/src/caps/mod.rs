//! `bandwatch report caps`: each data cap's usage so far in its period, its limit, the
//! forecast at the period's end and the day the cap will be reached, read offline from the
//! history (also while an agent is running). `--alert` exits 1 when a cap is over or
//! forecast over, for cron (vnstat's habit).

pub mod report;
