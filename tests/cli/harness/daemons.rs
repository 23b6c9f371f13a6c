//! Real daemons from Debian's packages, each started by a test on free loopback ports in its own
//! temporary folder and killed when the handle drops: nginx, PostgreSQL (a primary and a streaming
//! replica), redis-server and a three-member etcd cluster. The shipped runbooks are run against
//! them (tests/cli/library.rs).
//!
//! A missing binary skips the test with a loud line on stderr, except under CI (`CI` set), where
//! .ci/run installs the packages and a missing one is a failure.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a daemon may take to answer before the test fails instead of hanging.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A port nothing listens on now (the OS just handed it out and it was closed again).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The first of `candidates` that exists; `None` (after saying so loudly) when none does outside
/// CI; a panic under CI, where .ci/run has installed `package`.
pub fn binary(candidates: &[&str], package: &str, test: &str) -> Option<PathBuf> {
    if let Some(found) = candidates.iter().map(PathBuf::from).find(|p| p.exists()) {
        return Some(found);
    }
    assert!(std::env::var_os("CI").is_none(), "{test}: none of {candidates:?} (Debian package {package}) under CI");
    eprintln!("SKIPPED {test}: needs {} (apt-get install {package})", candidates[0]);
    None
}

/// A started process, killed and reaped when dropped.
pub struct Daemon(Child);

impl Daemon {
    pub fn spawn(command: &mut Command) -> Daemon {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        Daemon(child)
    }

    /// Kills it now (the "process died" case of a test).
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` to completion, panicking with its output when it fails.
pub fn run(command: &mut Command) -> String {
    let out = command.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until `ready` holds, panicking with `what` after [`START_LIMIT`].
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < START_LIMIT, "{what} not ready after {START_LIMIT:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// nginx as a reverse proxy on `port`: `/` goes to 127.0.0.1:`upstream`, and gives up on an
/// upstream answer after one second (so a slow upstream is a 504 quickly). Its error log is
/// `error_log` (where "connect() failed (111: Connection refused)" and "upstream timed out" go).
pub struct Nginx {
    pub port: u16,
    pub error_log: PathBuf,
    _daemon: Daemon,
    dir: TempDir,
}

/// One process as the test's own user (no master, no `user` switch), every path in `dir`, so it
/// runs the same as root in CI and as a developer; `location` goes inside `location / { }`.
fn nginx_config(dir: &Path, port: u16, location: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         \x20 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         \x20 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      {location}\n    }}\n  }}\n}}\n"
    )
}

fn returning(body: &str) -> String {
    format!("default_type text/plain;\n      return 200 \"{body}\";")
}

impl Nginx {
    pub fn start(upstream: u16, test: &str) -> Option<Nginx> {
        let location = format!(
            "proxy_pass http://127.0.0.1:{upstream};\n      proxy_connect_timeout 1s;\n      proxy_read_timeout 1s;"
        );
        Nginx::start_with(&location, test)
    }

    /// nginx answering every request with `body` itself (`return 200`), for a test that changes
    /// its config ([`Nginx::write_config`]) the way an operator would.
    pub fn serving(body: &str, test: &str) -> Option<Nginx> {
        Nginx::start_with(&returning(body), test)
    }

    /// The config file, its pid file, and the `nginx -t` that validates the file as it is now.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("nginx.conf")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.dir.path().join("nginx.pid")
    }

    pub fn test_command(&self) -> String {
        let d = self.dir.path().display();
        format!("/usr/sbin/nginx -t -q -p {d} -e {d}/error.log -c {d}/nginx.conf")
    }

    /// Rewrites the config file (not reloaded: the running nginx keeps the old one).
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_file(), text).unwrap();
    }

    /// This nginx's config as [`Nginx::serving`] writes it, answering `body` instead.
    pub fn config_serving(&self, body: &str) -> String {
        nginx_config(self.dir.path(), self.port, &returning(body))
    }

    fn start_with(location: &str, test: &str) -> Option<Nginx> {
        let nginx = binary(&["/usr/sbin/nginx"], "nginx-light", test)?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = nginx_config(dir.path(), port, location);
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let daemon = Daemon::spawn(
            Command::new(nginx)
                .arg("-p")
                .arg(dir.path())
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .arg("-c")
                .arg(dir.path().join("nginx.conf")),
        );
        wait_until("nginx", || listening(port));
        Some(Nginx { port, error_log: dir.path().join("error.log"), _daemon: daemon, dir })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// redis-server on a free port with `maxmemory` and the `allkeys-lru` policy, no persistence.
pub struct Redis {
    pub port: u16,
    _daemon: Daemon,
    _dir: TempDir,
}

impl Redis {
    pub fn start(maxmemory: &str, test: &str) -> Option<Redis> {
        let server = binary(&["/usr/bin/redis-server"], "redis-server", test)?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let daemon = Daemon::spawn(
            Command::new(server)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(["--maxmemory", maxmemory, "--maxmemory-policy", "allkeys-lru", "--daemonize", "no"])
                .arg("--dir")
                .arg(dir.path()),
        );
        let redis = Redis { port, _daemon: daemon, _dir: dir };
        wait_until("redis-server", || redis.cli(&["PING"]).contains("PONG"));
        Some(redis)
    }

    /// `redis-cli -p PORT ARGS...`, its stdout (empty when it cannot run).
    pub fn cli(&self, args: &[&str]) -> String {
        Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Writes `keys` values of `size` bytes (through redis-cli reading commands from stdin).
    pub fn fill(&self, keys: usize, size: usize) {
        use std::io::Write;
        let value = "x".repeat(size);
        let mut child = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        for i in 0..keys {
            writeln!(stdin, "SET key:{i} {value}").unwrap();
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

/// The user PostgreSQL runs as: it refuses to run as root, and CI runs as root.
fn postgres_user() -> Option<&'static str> {
    let uid = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    (uid.as_deref().ok() == Some("0")).then_some("postgres")
}

/// A PostgreSQL primary and a streaming replica made from it with `pg_basebackup -R`, both on
/// loopback with `trust` authentication for the `postgres` role, in one temp dir.
pub struct Postgres {
    pub primary: u16,
    pub replica: u16,
    bin: PathBuf,
    dir: TempDir,
    primary_daemon: Option<()>,
}

impl Postgres {
    pub fn start(test: &str) -> Option<Postgres> {
        let initdb =
            binary(&["/usr/lib/postgresql/15/bin/initdb", "/usr/lib/postgresql/16/bin/initdb"], "postgresql", test)?;
        let bin = initdb.parent().unwrap().to_path_buf();
        let dir = tempfile::tempdir().unwrap();
        let (primary, replica) = (free_port(), free_port());
        let pg = Postgres { primary, replica, bin, dir, primary_daemon: Some(()) };
        if let Some(user) = postgres_user() {
            run(Command::new("chown").args([&format!("{user}:"), pg.dir.path().to_str().unwrap()]));
        }
        let primary_dir = pg.data("primary");
        pg.as_postgres("initdb", &["-D", &primary_dir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        pg.start_cluster(&primary_dir, primary);
        pg.as_postgres(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.to_string(),
                "-U",
                "postgres",
                "-D",
                &pg.data("replica"),
                "-R",
                "-X",
                "stream",
            ],
        );
        pg.start_cluster(&pg.data("replica"), replica);
        wait_until("the replica streaming", || {
            pg.psql(primary, "select count(*) from pg_stat_replication").trim() == "1"
        });
        Some(pg)
    }

    fn data(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `program` of the server's bin folder as the user PostgreSQL runs as (see [`postgres_user`]).
    fn as_postgres_command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = match postgres_user() {
            Some(user) => {
                let mut runuser = Command::new("runuser");
                runuser.args(["-u", user, "--"]).arg(program);
                runuser
            }
            None => Command::new(program),
        };
        command.args(args);
        command
    }

    fn as_postgres(&self, program: &str, args: &[&str]) -> String {
        run(&mut self.as_postgres_command(program, args))
    }

    fn start_cluster(&self, data: &str, port: u16) {
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.dir.path().display()
        );
        let log = format!("{data}.log");
        self.as_postgres("pg_ctl", &["-D", data, "-l", &log, "-o", &options, "-w", "-t", "30", "start"]);
    }

    /// `psql -Atc SQL` against the server on `port`; its stdout (empty when it fails).
    pub fn psql(&self, port: u16, sql: &str) -> String {
        Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-Atc", sql])
            .env("PGCONNECT_TIMEOUT", "2")
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Stops the primary at once, as a crash would.
    pub fn kill_primary(&mut self) {
        self.as_postgres("pg_ctl", &["-D", &self.data("primary"), "-m", "immediate", "stop"]);
        self.primary_daemon = None;
    }

    /// The directory holding `psql` and `pg_ctl`, for a PATH the runbook's commands see.
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        for (name, up) in [("replica", true), ("primary", self.primary_daemon.is_some())] {
            if up {
                let data = self.data(name);
                // Not `run`: a drop must not panic over a server that is already gone.
                let _ = self.as_postgres_command("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]).output();
            }
        }
    }
}

/// Three etcd members on loopback forming one cluster; `members[i]` can be killed one by one.
pub struct Etcd {
    pub client_ports: Vec<u16>,
    pub members: Vec<Daemon>,
    _dir: TempDir,
}

impl Etcd {
    pub fn start(test: &str) -> Option<Etcd> {
        let etcd = binary(&["/usr/bin/etcd"], "etcd-server", test)?;
        let dir = tempfile::tempdir().unwrap();
        let client_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let peer_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let cluster = (0..3).map(|i| format!("m{i}=http://127.0.0.1:{}", peer_ports[i])).collect::<Vec<_>>().join(",");
        let members = (0..3)
            .map(|i| {
                let (client, peer) =
                    (format!("http://127.0.0.1:{}", client_ports[i]), format!("http://127.0.0.1:{}", peer_ports[i]));
                Daemon::spawn(
                    Command::new(&etcd)
                        .args(["--name", &format!("m{i}")])
                        .arg("--data-dir")
                        .arg(dir.path().join(format!("m{i}")))
                        .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
                        .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
                        .args(["--initial-cluster", &cluster, "--initial-cluster-state", "new"])
                        .args(["--initial-cluster-token", "incident-test", "--heartbeat-interval", "50"])
                        .args(["--election-timeout", "500"]),
                )
            })
            .collect();
        let etcd = Etcd { client_ports, members, _dir: dir };
        wait_until("the etcd cluster", || etcd.healthy(0));
        Some(etcd)
    }

    pub fn endpoint(&self, member: usize) -> String {
        format!("http://127.0.0.1:{}", self.client_ports[member])
    }

    /// Whether `member` answers `/health` with a leader.
    pub fn healthy(&self, member: usize) -> bool {
        Command::new("curl")
            .args(["-fsS", "-m", "2", &format!("{}/health", self.endpoint(member))])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("\"true\""))
            .unwrap_or(false)
    }
}

/// Debian's Prometheus on a free port, its data in a temp dir. With `scrape`, it scrapes
/// `127.0.0.1:PORT/metrics` every second as job `kubelet` (labels as the target writes them), so
/// a test can serve an exporter's metrics from a [`crate::harness::Server`].
pub struct Prometheus {
    pub url: String,
    _daemon: Daemon,
    _dir: TempDir,
}

impl Prometheus {
    pub fn start(scrape: Option<u16>, test: &str) -> Option<Prometheus> {
        let prometheus = binary(&["/usr/bin/prometheus", "/usr/local/bin/prometheus"], "prometheus", test)?;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        let mut yaml = String::from("global:\n  scrape_interval: 1m\n");
        if let Some(port) = scrape {
            yaml.push_str(&format!(
                "scrape_configs:\n  - job_name: kubelet\n    scrape_interval: 1s\n    honor_labels: true\n\
                 \x20   static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
            ));
        }
        std::fs::write(&config, yaml).unwrap();
        let port = free_port();
        let daemon = Daemon::spawn(
            Command::new(prometheus)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}")),
        );
        let prometheus = Prometheus { url: format!("http://127.0.0.1:{port}"), _daemon: daemon, _dir: dir };
        wait_until("prometheus", || {
            Command::new("curl")
                .args(["-fsS", "-m", "2", &format!("{}/-/ready", prometheus.url)])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        Some(prometheus)
    }

    /// Waits until `query` returns at least one series (a scrape has landed).
    pub fn wait_for(&self, query: &str) {
        wait_until(query, || {
            Command::new("curl")
                .args(["-fsS", "-m", "2", &format!("{}/api/v1/query", self.url), "--data-urlencode"])
                .arg(format!("query={query}"))
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("\"metric\""))
        });
    }
}

/// `openssl s_server` on a free loopback port presenting `cert` (with `key`): a real TLS
/// endpoint, whatever the certificate's dates.
pub struct TlsEndpoint {
    pub port: u16,
    _daemon: Daemon,
}

impl TlsEndpoint {
    pub fn start(cert: &Path, key: &Path, test: &str) -> Option<TlsEndpoint> {
        let openssl = binary(&["/usr/bin/openssl"], "openssl", test)?;
        let port = free_port();
        let daemon = Daemon::spawn(
            Command::new(openssl)
                .args(["s_server", "-quiet", "-www", "-accept", &format!("127.0.0.1:{port}")])
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key),
        );
        wait_until("openssl s_server", || listening(port));
        Some(TlsEndpoint { port, _daemon: daemon })
    }
}
