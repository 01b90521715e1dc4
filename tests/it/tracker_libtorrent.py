"""Two real libtorrent sessions on 127.0.0.1 exchange one private torrent
through our tracker. Used by tests/it/tracker_libtorrent.rs.

usage: tracker_libtorrent.py SEED.torrent SEED_DIR LEECH.torrent LEECH_DIR
Prints one JSON line with what the clients saw; exit 0 once the leecher holds
the whole file and both clients announced their final totals.
"""
import json
import os
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_session import session  # noqa: E402

DEADLINE = time.monotonic() + 120


def wait(what, sessions, done):
    """Pumps alerts of every session until done(alert_log) holds."""
    while time.monotonic() < DEADLINE:
        for name, s in sessions.items():
            for a in s.pop_alerts():
                kind = type(a).__name__
                if kind in ("tracker_reply_alert", "tracker_error_alert", "tracker_warning_alert",
                            "torrent_finished_alert", "tracker_announce_alert"):
                    print(f"[{name}] {kind}: {a.message()}", file=sys.stderr)
                LOG.append((name, kind))
        if done():
            return
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {what}")


LOG = []


def replies(name):
    return sum(1 for n, k in LOG if n == name and k == "tracker_reply_alert")


def main():
    seed_torrent, seed_dir, leech_torrent, leech_dir = sys.argv[1:5]
    s1, s2 = session(), session()
    both = {"seed": s1, "leech": s2}
    h1 = s1.add_torrent({"ti": lt.torrent_info(seed_torrent), "save_path": seed_dir})
    wait("the seeder to check its data and announce", both,
         lambda: h1.status().is_seeding and replies("seed") >= 1)
    h2 = s2.add_torrent({"ti": lt.torrent_info(leech_torrent), "save_path": leech_dir})
    wait("the leecher to finish", both, lambda: h2.status().is_seeding)
    # Final totals reach the tracker through a fresh announce from each client.
    before = {n: replies(n) for n in both}
    flags = lt.reannounce_flags_t.ignore_min_interval
    h1.force_reannounce(0, -1, flags)
    h2.force_reannounce(0, -1, flags)
    wait("final announces", both,
         lambda: all(replies(n) > before[n] for n in both))
    st1, st2 = h1.status(), h2.status()
    print(json.dumps({
        "seed_uploaded": st1.total_payload_upload,
        "leech_downloaded": st2.total_payload_download,
        "leech_done": st2.total_done,
    }))


if __name__ == "__main__":
    main()
