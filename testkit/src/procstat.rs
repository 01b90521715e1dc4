//! CPU time and memory of a running process, read from `/proc/PID`: the one
//! reader every bench that reports them shares (a bench's own figures:
//! `std::process::id()`).

/// utime + stime of a process (all its threads) so far, in seconds; 0 when
/// the process is gone.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    cpu_ticks(&stat) as f64 / ticks_per_sec()
}

/// utime + stime in clock ticks from a `/proc/PID/stat` line. The command
/// name is in parentheses and may hold spaces or `)`, so fields are counted
/// after its last `)`: utime and stime are the 14th and 15th of the line.
fn cpu_ticks(stat: &str) -> u64 {
    let after_name = stat.rsplit_once(')').map_or("", |r| r.1);
    after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum()
}

fn ticks_per_sec() -> f64 {
    // SAFETY: sysconf only reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// A `/proc/PID/status` figure in KiB, such as `"VmRSS:"` or `"VmHWM:"`; 0
/// when absent.
pub fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds per GiB moved: what a transfer costs whatever its rate.
pub fn per_gib(cpu_secs: f64, bytes: u64) -> f64 {
    if bytes == 0 {
        return 0.0;
    }
    cpu_secs / (bytes as f64 / f64::from(1u32 << 30))
}
