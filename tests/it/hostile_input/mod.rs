//! Hostile input against the real server and client: uploads, announces and
//! texts (`uploads`), login floods (`logins`), connections that hold on or pile
//! up (`connections`), and requests that must still get their surface's answer
//! (`dialects`).

mod connections;
mod dialects;
mod logins;
mod uploads;
