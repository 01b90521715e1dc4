//! Piece size chosen from the total size.
//!
//! The smallest power of two from 256 KiB to 16 MiB that keeps the torrent at
//! or under 2,500 pieces, so a torrent lands between 1,251 and 2,500 pieces
//! (fewer below 625 MiB, more above 19.5 GiB):
//!
//! | total size        | piece size |
//! |-------------------|------------|
//! | up to 625 MiB     | 256 KiB    |
//! | up to 1,250 MiB   | 512 KiB    |
//! | up to 2,500 MiB   | 1 MiB      |
//! | up to 5,000 MiB   | 2 MiB      |
//! | up to 10,000 MiB  | 4 MiB      |
//! | up to 20,000 MiB  | 8 MiB      |
//! | larger            | 16 MiB     |

use super::CreateError;

pub const MIN_AUTO: u64 = 256 * 1024;
pub const MAX_AUTO: u64 = 16 * 1024 * 1024;
/// Most pieces an automatically sized torrent gets (below 16 MiB pieces).
pub const MAX_PIECES: u64 = 2500;

/// Smallest and largest piece size accepted from `--piece-size`: 16 KiB is the
/// BitTorrent block size, and clients refuse pieces much above 64 MiB.
pub const MIN_OVERRIDE: u64 = 16 * 1024;
pub const MAX_OVERRIDE: u64 = 64 * 1024 * 1024;

/// The automatic piece size for `total` bytes (see the table above).
pub fn for_total(total: u64) -> u64 {
    let mut p = MIN_AUTO;
    while p < MAX_AUTO && total.div_ceil(p) > MAX_PIECES {
        p *= 2;
    }
    p
}

/// Checks a piece size given by the user.
pub fn check(p: u64) -> Result<u64, CreateError> {
    if p.is_power_of_two() && (MIN_OVERRIDE..=MAX_OVERRIDE).contains(&p) {
        Ok(p)
    } else {
        Err(CreateError::BadPieceSize(p))
    }
}

/// Parses `262144`, `256K`, `256KiB`, `4M`, `4MiB` (binary units) for the command line.
pub fn parse(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1024,
        "m" | "mib" | "mb" => 1024 * 1024,
        _ => return Err(format!("unknown size unit in {s:?} (use K or M)")),
    };
    let p = n
        .checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))?;
    check(p).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn follows_the_table() {
        assert_eq!(for_total(1), MIN_AUTO);
        assert_eq!(for_total(625 * MIB), 256 * 1024);
        assert_eq!(for_total(625 * MIB + 1), 512 * 1024);
        assert_eq!(for_total(1250 * MIB), 512 * 1024);
        assert_eq!(for_total(2500 * MIB), MIB);
        assert_eq!(for_total(5000 * MIB), 2 * MIB);
        assert_eq!(for_total(10000 * MIB), 4 * MIB);
        assert_eq!(for_total(20000 * MIB), 8 * MIB);
        assert_eq!(for_total(20000 * MIB + 1), 16 * MIB);
        assert_eq!(for_total(u64::MAX / 2), MAX_AUTO);
    }

    #[test]
    fn piece_counts_stay_in_the_target_band() {
        for total in [700 * MIB, 1500 * MIB, 4 * 1024 * MIB, 15000 * MIB] {
            let n = total.div_ceil(for_total(total));
            assert!((1251..=2500).contains(&n), "{total}: {n} pieces");
        }
    }

    #[test]
    fn parses_and_checks_overrides() {
        assert_eq!(parse("262144"), Ok(262144));
        assert_eq!(parse("256K"), Ok(262144));
        assert_eq!(parse("4MiB"), Ok(4 * MIB));
        assert!(parse("300K").is_err());
        assert!(parse("8K").is_err());
        assert!(parse("128M").is_err());
        assert!(parse("x").is_err());
        assert!(parse("99999999999999999999M").is_err());
    }
}
