//! A real pseudo-terminal, and a person typing at it.

use super::text;

/// A real pseudo-terminal whose slave side becomes the controlling terminal of `cmd`.
pub fn spawn_on_pty(mut cmd: std::process::Command) -> (std::process::Child, std::fs::File) {
    use std::os::fd::FromRawFd;
    use std::os::unix::process::CommandExt;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the given integers.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: each descriptor is owned by exactly one File/Stdio from here on.
    let (master, stdin, stdout, stderr) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::process::Stdio::from_raw_fd(slave),
            std::process::Stdio::from_raw_fd(libc::dup(slave)),
            std::process::Stdio::from_raw_fd(libc::dup(slave)),
        )
    };
    cmd.stdin(stdin).stdout(stdout).stderr(stderr);
    // SAFETY: setsid and TIOCSCTTY between fork and exec make the pty the controlling terminal.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    (cmd.spawn().expect("spawn on a pty"), master)
}

/// Reads from the pty until `wanted` shows up (or 15 s pass); returns all that was read.
pub fn read_until(master: &mut std::fs::File, wanted: &str) -> String {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut buf = [0u8; 4096];
    while !text(&seen).contains(wanted) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let mut fds = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut fds, 1, left.as_millis().min(1000) as i32) };
        if ready <= 0 {
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    text(&seen)
}

/// A person at a terminal: waits for each prompt before typing, as a person would.
pub struct Terminal {
    pub child: std::process::Child,
    master: std::fs::File,
    /// Everything shown so far.
    pub screen: String,
    /// How much of `screen` earlier expectations have read past.
    cursor: usize,
}

impl Terminal {
    pub fn spawn(cmd: std::process::Command) -> Self {
        let (child, master) = spawn_on_pty(cmd);
        Terminal { child, master, screen: String::new(), cursor: 0 }
    }

    /// Waits until `prompt` is shown (after what was already expected); panics with the screen
    /// so far if it never is.
    pub fn expect(&mut self, prompt: &str) -> &mut Self {
        loop {
            if let Some(at) = self.screen[self.cursor..].find(prompt) {
                self.cursor += at + prompt.len();
                return self;
            }
            let more = read_until(&mut self.master, prompt);
            if more.is_empty() {
                panic!("never saw {prompt:?}; the screen showed:\n{}", self.screen);
            }
            self.screen.push_str(&more);
        }
    }

    /// Types keys (`\r` is Enter, `\x1b[B` the down arrow, `\x03` Ctrl-C).
    pub fn send(&mut self, keys: &str) -> &mut Self {
        use std::io::Write;
        self.master.write_all(keys.as_bytes()).and_then(|()| self.master.flush()).expect("type");
        self
    }

    /// Resizes the terminal, as a person dragging its window does (the kernel tells the
    /// terminal's foreground group with SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) -> &mut Self {
        use std::os::fd::AsRawFd;
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads one winsize, which lives for the call.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        assert_eq!(rc, 0, "TIOCSWINSZ failed");
        self
    }

    /// Whether the terminal is in its ordinary mode (line editing and echo), as a shell left
    /// after a program in raw mode ended needs it.
    pub fn is_in_cooked_mode(&self) -> bool {
        use std::os::fd::AsRawFd;
        // SAFETY: tcgetattr fills the zeroed termios it is given.
        let mut mode: libc::termios = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut mode) };
        assert_eq!(rc, 0, "tcgetattr failed");
        mode.c_lflag & libc::ICANON != 0 && mode.c_lflag & libc::ECHO != 0
    }

    /// Waits for `prompt`, then types `line` and Enter.
    pub fn answer(&mut self, prompt: &str, line: &str) -> &mut Self {
        self.expect(prompt).send(&format!("{line}\r"))
    }

    /// Waits for the program to end, reading what is left; returns its exit code.
    pub fn finish(&mut self) -> Option<i32> {
        let rest = read_until(&mut self.master, "\u{0}never\u{0}");
        self.screen.push_str(&rest);
        self.child.wait().expect("exited").code()
    }
}
