//! A read-only memory map of a log file that survives the file being truncated under it.
//!
//! Mapping saves the copy `read` makes, which is half the time of a whole-file search. The price
//! is SIGBUS: touching a mapped page past the end of a file that shrank (logrotate's
//! copytruncate) kills the process. So a SIGBUS handler looks the faulting address up among the
//! live maps; inside one, it maps zero pages over the rest of that map (so the faulting read
//! resumes, reading zeros) and raises the map's `faulted` flag. The scanner checks the flag before
//! it hands on anything it read and stops that file with a warning; nothing read from the zero
//! pages reaches a caller. A SIGBUS anywhere else gets the default action, as before.
//!
//! Pages already searched are dropped from the process (`MADV_DONTNEED`; the page cache keeps
//! them), so memory does not grow with the file.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// How many maps may be live at once (one per concurrent search).
const SLOTS: usize = 16;

struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // the template of the array below, by design
const EMPTY: Slot = Slot { start: AtomicUsize::new(0), end: AtomicUsize::new(0), faulted: AtomicBool::new(false) };
static LIVE: [Slot; SLOTS] = [EMPTY; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
/// The SIGBUS action before ours (Rust's runtime installs one), for faults that are not ours.
static PREVIOUS: OnceLock<Previous> = OnceLock::new();

struct Previous(libc::sigaction);
// SAFETY: a plain C struct written once, before it is shared, and only read afterwards.
unsafe impl Sync for Previous {}
unsafe impl Send for Previous {}

/// A whole file mapped read-only.
pub struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
    slot: usize,
}

impl Mapped {
    /// Maps `len` bytes of `file`. Fails for an empty file, when every slot is taken, or when
    /// the file cannot be mapped (a pipe, a special file): callers then read it instead.
    pub fn new(file: &File, len: u64) -> io::Result<Mapped> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("too large to map"))?;
        if len == 0 {
            return Err(io::Error::other("empty"));
        }
        INSTALL.call_once(install_handler);
        let slot = (0..SLOTS)
            .find(|&i| LIVE[i].start.compare_exchange(0, usize::MAX, Ordering::SeqCst, Ordering::SeqCst).is_ok())
            .ok_or_else(|| io::Error::other("too many maps"))?;
        // SAFETY: a fresh read-only private mapping of an open file; the kernel picks the address.
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr == libc::MAP_FAILED {
            let err = io::Error::last_os_error();
            LIVE[slot].start.store(0, Ordering::SeqCst);
            return Err(err);
        }
        // SAFETY: advice on the mapping just made; failure is harmless.
        unsafe {
            libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
        }
        LIVE[slot].faulted.store(false, Ordering::SeqCst);
        LIVE[slot].end.store(ptr as usize + len, Ordering::SeqCst);
        LIVE[slot].start.store(ptr as usize, Ordering::SeqCst);
        Ok(Mapped { ptr, len, slot })
    }

    /// The file's bytes. If the file shrinks, the lost part reads as zeros and
    /// the [`Mapped::fault_flag`] is raised.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` bytes, readable, and lives as long as `self`. Its contents
        // can change under us only by truncation, which the SIGBUS handler turns into zeros.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }

    /// The flag itself, for a scanner that checks it before handing anything on.
    pub fn fault_flag(&self) -> &'static AtomicBool {
        &LIVE[self.slot].faulted
    }

    /// Drops the pages wholly inside `start..end` from this process (they stay in the page
    /// cache): what has been searched need not count against memory.
    pub fn release(&self, start: usize, end: usize) {
        let page = PAGE.load(Ordering::Relaxed);
        let from = start.div_ceil(page) * page;
        let to = end.min(self.len) / page * page;
        if to > from {
            // SAFETY: the range lies inside the mapping and is page-aligned; nothing borrows it
            // (the scanner has moved past it).
            unsafe {
                libc::madvise(self.ptr.cast::<u8>().add(from).cast(), to - from, libc::MADV_DONTNEED);
            }
        }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Forget the range before unmapping, so a stray fault is not taken for ours.
        LIVE[self.slot].end.store(0, Ordering::SeqCst);
        // SAFETY: unmapping exactly what `new` mapped; no borrow of `bytes()` outlives `self`.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
        LIVE[self.slot].start.store(0, Ordering::SeqCst);
    }
}

fn install_handler() {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page > 0 {
        PAGE.store(page as usize, Ordering::Relaxed);
    }
    // SAFETY: installing a handler with a zeroed, then filled, sigaction is the documented use.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
            let _ = PREVIOUS.set(Previous(previous));
        }
    }
}

/// Only atomics and raw system calls here: this runs in a signal handler.
extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo for a SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &LIVE {
        let (start, end) = (slot.start.load(Ordering::SeqCst), slot.end.load(Ordering::SeqCst));
        if start != 0 && start != usize::MAX && (start..end).contains(&addr) {
            let from = addr / page * page;
            // SAFETY: replaces pages of our own live mapping (never memory Rust allocated) with
            // anonymous zero pages at the same address, so the faulting read can resume.
            let mapped = unsafe {
                libc::mmap(
                    from as *mut libc::c_void,
                    end - from,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if mapped != libc::MAP_FAILED {
                slot.faulted.store(true, Ordering::SeqCst);
                return;
            }
        }
    }
    // Not a map of ours: put back the action we replaced and return, so the faulting access
    // happens again and meets it (or the default action: the process dies of SIGBUS).
    // SAFETY: sigaction and signal are async-signal-safe; PREVIOUS is only read here.
    unsafe {
        match PREVIOUS.get() {
            Some(Previous(previous)) => {
                libc::sigaction(signal, previous, std::ptr::null_mut());
            }
            None => {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }
}
