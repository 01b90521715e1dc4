"""The libtorrent session every test and bench script uses: loopback only, no
DHT/LSD/UPnP/NAT-PMP, several connections per IP (every peer is 127.0.0.1)."""
import libtorrent as lt


def session():
    return lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.all_categories,
    })
