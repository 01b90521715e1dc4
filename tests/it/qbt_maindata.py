"""Follows the client's `sync/maindata` with the `qbittorrent-api` library
the way a UI or Sonarr's sync does: rid 0, then each answer's rid, while
categories, tags and a torrent come and go. Used by tests/it/qbittorrent/.

usage: qbt_maindata.py HOST PORT USER PASSWORD TORRENT INFOHASH
Prints one JSON object: every answer, by step name.
"""
import json
import sys

import qbittorrentapi


def main():
    host, port, user, password, torrent, infohash = sys.argv[1:7]
    qbt = qbittorrentapi.Client(host=host, port=int(port), username=user, password=password,
                                REQUESTS_ARGS={"timeout": 60})
    qbt.auth_log_in()
    seen = {}
    rid = 0

    def step(name):
        nonlocal rid
        answer = dict(qbt.sync_maindata(rid=rid))
        seen[name] = answer
        rid = answer["rid"]

    step("first")
    step("unchanged")
    qbt.torrents_create_category(name="sonarr")
    qbt.torrents_create_tags(tags="keep")
    step("category_and_tag")
    with open(torrent, "rb") as f:
        assert qbt.torrents_add(torrent_files=f.read(), category="sonarr", is_stopped=True) == "Ok."
    step("torrent_added")
    qbt.torrents_add_tags(tags="keep", torrent_hashes=infohash)
    step("torrent_tagged")
    qbt.torrents_delete(delete_files=True, torrent_hashes=infohash)
    qbt.torrents_remove_categories(categories="sonarr")
    qbt.torrents_delete_tags(tags="keep")
    step("all_removed")
    rid = 987654321
    step("unknown_rid")
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
