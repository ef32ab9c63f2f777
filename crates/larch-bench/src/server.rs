//! Starting and stopping `larch serve`, and reading its CPU time and memory from /proc.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const KEY_ID: &str = "AKIABENCHLARCH000001";
pub const SECRET: &str = "bench/secret/key/for/loopback/only/0000000";

pub struct Server {
    child: Option<Child>,
    pub binary: PathBuf,
    pub data: PathBuf,
    pub config: PathBuf,
    pub port: u16,
}

impl Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Starts `larch serve` on a free loopback port and waits for `/health`.
    pub fn start(binary: &Path, data: &Path, config: &Path, log: &Path) -> Result<Server, String> {
        let mut s = Server {
            child: None,
            binary: binary.to_owned(),
            data: data.to_owned(),
            config: config.to_owned(),
            port: 0,
        };
        s.spawn(log)?;
        Ok(s)
    }

    fn spawn(&mut self, log: &Path) -> Result<(), String> {
        let port = free_port()?;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(|e| e.to_string())?;
        let child = Command::new(&self.binary)
            .args(["serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(&self.data)
            .arg("--config")
            .arg(&self.config)
            .env("LARCH_ACCESS_KEY_ID", KEY_ID)
            .env("LARCH_SECRET_ACCESS_KEY", SECRET)
            .env("LARCH_LOG", std::env::var("LARCH_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        self.port = port;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if health(port) {
                return Ok(());
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                return Err(format!("larch serve exited during start: {status}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("larch serve did not become healthy within 60 s".into())
    }

    /// SIGTERM (the server flushes its memtable to segments), then wait (bounded).
    pub fn stop(&mut self) -> Result<Duration, String> {
        let Some(mut child) = self.child.take() else {
            return Ok(Duration::ZERO);
        };
        let t = Instant::now();
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return Ok(t.elapsed());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("larch serve did not stop within 300 s; killed".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn restart(&mut self, log: &Path) -> Result<(), String> {
        self.stop()?;
        self.spawn(log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn health(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[9..12] == b"200")
}

/// utime + stime of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // fields after the command name (which may contain spaces) start at ')'
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime is field 14, stime 15
    let ticks = |i: usize| f.get(i - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(14) + ticks(15)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    // getconf CLK_TCK; 100 on every Linux we run on
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A `VmXXX:` value of /proc/<pid>/status in bytes.
pub fn vm_bytes(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Resets the peak-RSS counter (`VmHWM`) of a process; false when not permitted.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Drops the OS page cache; false when denied (containers usually deny it).
pub fn drop_page_cache() -> bool {
    sync_disks();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// Writes every dirty page to disk (`sync`).
pub fn sync_disks() {
    let _ = Command::new("sync").status();
}

/// Total size of the files under `dir` (recursively), skipping directories named in `skip`.
pub fn dir_bytes(dir: &Path, skip: &[&str]) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            total += dir_bytes(&e.path(), skip);
        } else {
            total += meta.len();
        }
    }
    total
}

/// `perf record --call-graph dwarf` attached to the server for one phase (`--profile DIR`).
/// DWARF unwinding because release builds keep no frame pointers.
pub struct Perf(Child);

impl Perf {
    /// None when perf is missing or cannot attach.
    pub fn start(pid: u32, out: &Path) -> Option<Perf> {
        let child = Command::new("perf")
            .args(["record", "-F", "299", "--call-graph", "dwarf,32768", "-p", &pid.to_string(), "-o"])
            .arg(out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        std::thread::sleep(Duration::from_millis(300));
        Some(Perf(child))
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
