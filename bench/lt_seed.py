"""The reference seeder of benches/seeder.rs: python3-libtorrent seeding one
torrent from SAVE_DIR through its tracker until killed.

usage: lt_seed.py TORRENT SAVE_DIR
Prints "seeding" on stdout once the data is checked and the tracker answered.
"""
import sys
import time

import libtorrent as lt


def main():
    torrent, save_dir = sys.argv[1:3]
    s = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.all_categories,
    })
    h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save_dir})
    replied = False
    told = False
    while True:
        for a in s.pop_alerts():
            if type(a).__name__ == "tracker_reply_alert":
                replied = True
        if not told and replied and h.status().is_seeding:
            print("seeding", flush=True)
            told = True
        time.sleep(0.05)


if __name__ == "__main__":
    main()
