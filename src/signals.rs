//! The one home of what signals do to this program. Every other module asks for a policy here
//! instead of installing handlers (the only exception is the SIGBUS guard of a memory-mapped
//! log, which lives beside the map in `logsearch::mapped`).
//!
//! Interrupts (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are caught by `signal-hook` and handled on a
//! thread of their own, in plain Rust under one lock:
//! - while a command runs in the foreground ([`ForegroundCommand`]), they are passed on to its
//!   process group, and we live on to record how it ended;
//! - otherwise they end the program: background groups (checks, git) are ended first
//!   (`process::groups::end_background`), a record being written ([`critical`]) is finished
//!   first, the cursor is shown again, and the walk's farewell ([`say_on_interrupt`]) is
//!   printed with status 130; without a farewell we die of the signal, as without a handler.
//!
//! SIGXFSZ is ignored, so that a write past `RLIMIT_FSIZE` fails with EFBIG (which the timeline
//! rolls back and reports) instead of killing us.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTTOU, SIGXFSZ};
use signal_hook::iterator::Signals;

use crate::process::groups;

/// The signals that interrupt us.
const INTERRUPTS: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

/// What an interrupt does right now.
#[derive(Default)]
struct Policy {
    /// A command in the foreground: the interrupts are its own.
    foreground: Option<Foreground>,
    /// Records being written; an interrupt waits for them.
    critical_depth: usize,
    /// An interrupt that came during a record, to act on once it is written.
    pending: Option<i32>,
    /// What to say when an interrupt ends the program (and exit with 130).
    farewell: Option<&'static str>,
    /// A loop that ends itself when asked ([`StopOnInterrupt`]): the interrupt is its signal.
    stoppable: bool,
}

#[derive(Default)]
struct Foreground {
    /// Its process group, once it started.
    group: Option<i32>,
    /// The last interrupt that came for it.
    caught: Option<i32>,
}

/// Interrupts that arrived (counted in the handler itself, so at once) and that the signals
/// thread has dealt with: while they differ, one is on its way.
static ARRIVED: AtomicUsize = AtomicUsize::new(0);
static HANDLED: AtomicUsize = AtomicUsize::new(0);

static POLICY: Mutex<Policy> =
    Mutex::new(Policy { foreground: None, critical_depth: 0, pending: None, farewell: None, stoppable: false });
/// An interrupt came while a [`StopOnInterrupt`] was held.
static STOP_ASKED: AtomicBool = AtomicBool::new(false);

fn policy() -> MutexGuard<'static, Policy> {
    POLICY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the policy, once per process; `run()` calls it first. Without it (in unit tests)
/// interrupts keep their default effect and everything else here still works.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: setting a disposition to SIG_IGN has no preconditions; no handler is involved.
        unsafe {
            libc::signal(SIGXFSZ, libc::SIG_IGN);
        }
        // Should the handlers not install (they always do on Linux), interrupts keep their
        // default effect: we die of them, as any program does.
        if let Ok(mut signals) = Signals::new(std::iter::empty::<i32>()) {
            for signal in INTERRUPTS {
                // Counted first, so the count is up before the thread can have dealt with it.
                // SAFETY: the action only increments an atomic, which is async-signal-safe.
                let _ = unsafe {
                    signal_hook::low_level::register(signal, || {
                        ARRIVED.fetch_add(1, Ordering::SeqCst);
                    })
                };
                let _ = signals.add_signal(signal);
            }
            let _ = std::thread::Builder::new().name("signals".into()).spawn(move || {
                for signal in signals.forever() {
                    // Several of one kind arriving together come out as one: all those counted
                    // so far are dealt with by this.
                    let arrived = ARRIVED.load(Ordering::SeqCst);
                    on_interrupt(signal);
                    HANDLED.fetch_max(arrived, Ordering::SeqCst);
                }
            });
        }
    });
}

/// Called before an error is reported and before the program exits: if an interrupt is on
/// its way or ending the program, waits for it, so we end as the interrupt says (the walk's
/// 130, or death by the signal), not with the error of work it cut short (a prompt that saw
/// Ctrl-C, git ended with the background groups).
pub fn settle() {
    // Ending takes at most the background groups' grace: this never waits for long.
    let until = Instant::now() + Duration::from_secs(5);
    while HANDLED.load(Ordering::SeqCst) < ARRIVED.load(Ordering::SeqCst) && Instant::now() < until {
        drop(policy());
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(policy());
}

fn on_interrupt(signal: i32) {
    let mut policy = policy();
    if let Some(foreground) = &mut policy.foreground {
        foreground.caught = Some(signal);
        if let Some(group) = foreground.group {
            groups::signal_group(group, signal);
        }
        return;
    }
    if policy.critical_depth > 0 {
        policy.pending.get_or_insert(signal);
        return;
    }
    if policy.stoppable && signal != SIGQUIT {
        STOP_ASKED.store(true, Ordering::SeqCst);
        return;
    }
    leave(policy, signal);
}

/// Ends the program because of `signal`. Holds the policy's lock to the end, so no record can
/// start meanwhile.
fn leave(policy: MutexGuard<'static, Policy>, signal: i32) -> ! {
    groups::end_background(signal);
    let mut stderr = std::io::stderr().lock();
    if stderr.is_terminal() {
        // A prompt may have hidden the cursor.
        let _ = stderr.write_all(b"\x1b[?25h");
    }
    if std::io::stdout().is_terminal() {
        // A live display (`check --watch`) hides it on stdout, which may be the only terminal.
        let _ = std::io::stdout().lock().write_all(b"\x1b[?25h");
    }
    if let Some(farewell) = policy.farewell
        && signal != SIGQUIT
    {
        let _ = writeln!(stderr, "\n{farewell}");
        signal_hook::low_level::exit(130);
    }
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    signal_hook::low_level::exit(128 + signal)
}

/// Runs `f` so that an interrupt arriving meanwhile takes effect only after it returns: a
/// record is written whole or not at all.
pub fn critical<T>(f: impl FnOnce() -> T) -> T {
    struct Section;
    impl Drop for Section {
        fn drop(&mut self) {
            let mut policy = policy();
            policy.critical_depth -= 1;
            if policy.critical_depth == 0
                && let Some(signal) = policy.pending.take()
            {
                leave(policy, signal);
            }
        }
    }
    policy().critical_depth += 1;
    let _section = Section;
    f()
}

/// Until this is dropped, an interrupt that ends the program prints `message` on stderr and
/// exits with status 130 (the walk says how to resume).
pub struct Farewell(());

pub fn say_on_interrupt(message: &'static str) -> Farewell {
    policy().farewell = Some(message);
    Farewell(())
}

impl Drop for Farewell {
    fn drop(&mut self) {
        // An interrupt on its way (the Ctrl-C that ended a prompt) still gets the farewell.
        settle();
        policy().farewell = None;
    }
}

/// Until this is dropped, an interrupt (other than SIGQUIT) does not end the program: it asks
/// the loop holding this to stop ([`StopOnInterrupt::asked`]), so that it can finish its
/// records first (`grep --follow --record`).
pub struct StopOnInterrupt(());

impl StopOnInterrupt {
    pub fn begin() -> Self {
        STOP_ASKED.store(false, Ordering::SeqCst);
        policy().stoppable = true;
        StopOnInterrupt(())
    }

    /// Whether an interrupt came.
    pub fn asked(&self) -> bool {
        STOP_ASKED.load(Ordering::SeqCst)
    }
}

impl Drop for StopOnInterrupt {
    fn drop(&mut self) {
        policy().stoppable = false;
    }
}

/// A command in the foreground: from [`ForegroundCommand::begin`] (before it is spawned, so an
/// interrupt arriving between the spawn and the hand-off reaches it and does not end us with
/// the command unrecorded) until dropped, interrupts are passed on to it.
pub struct ForegroundCommand(());

impl ForegroundCommand {
    pub fn begin() -> Self {
        policy().foreground = Some(Foreground::default());
        ForegroundCommand(())
    }

    /// From now on interrupts go to `group`; one that came while it was starting goes now.
    pub fn started(&self, group: i32) {
        if let Some(foreground) = &mut policy().foreground {
            foreground.group = Some(group);
            if let Some(signal) = foreground.caught {
                groups::signal_group(group, signal);
            }
        }
    }

    /// Ends the hand-off; tells whether an interrupt came for the command.
    pub fn finish(self) -> bool {
        settle();
        policy().foreground.as_ref().is_some_and(|f| f.caught.is_some())
    }
}

impl Drop for ForegroundCommand {
    fn drop(&mut self) {
        // An interrupt on its way was meant for the command, not for us.
        settle();
        policy().foreground = None;
    }
}

/// Runs `f` with SIGTTOU blocked on this thread, so that a background process group may change
/// the terminal (take its foreground back) without being stopped.
pub fn with_terminal_output_allowed<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigset operations on a local set, and pthread_sigmask on the calling thread only;
    // the previous mask is restored below.
    let previous = unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, SIGTTOU);
        (libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut previous) == 0).then_some(previous)
    };
    let result = f();
    if let Some(previous) = previous {
        // SAFETY: restores the mask saved above, on the same thread.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
        }
    }
    result
}
