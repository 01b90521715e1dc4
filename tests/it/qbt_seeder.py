"""A python3-libtorrent seeder for tests/it/qbittorrent.rs: seeds one torrent on
127.0.0.1 until its standard input closes.

usage: qbt_seeder.py TORRENT DATA_DIR
Prints "seeding" once its data is checked and the tracker answered, then
one JSON line with its upload total when stdin closes.
"""
import json
import sys
import threading
import time

import libtorrent as lt


def main():
    torrent, data_dir = sys.argv[1:3]
    s = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.all_categories,
    })
    h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": data_dir})
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    announced = False
    deadline = time.monotonic() + 120
    while not stop.is_set():
        for a in s.pop_alerts():
            kind = type(a).__name__
            if kind in ("tracker_reply_alert", "tracker_error_alert", "peer_connect_alert",
                        "peer_disconnected_alert", "incoming_connection_alert"):
                print(f"[seed] {kind}: {a.message()}", file=sys.stderr)
            if kind == "tracker_reply_alert" and not announced and h.status().is_seeding:
                announced = True
                print("seeding", flush=True)
        if not announced and time.monotonic() > deadline:
            sys.exit("the seeder never announced")
        time.sleep(0.05)
    print(json.dumps({"uploaded": h.status().total_payload_upload}), flush=True)


if __name__ == "__main__":
    main()
