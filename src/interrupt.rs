//! Interrupts that must not cut a record in half. Code that appends to a timeline runs inside
//! [`critical`]; an interrupt handler that wants to end the program calls [`end_or_defer`], which
//! ends it at once outside a critical section and otherwise as soon as the section is over.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static DEPTH: AtomicUsize = AtomicUsize::new(0);
static PENDING: AtomicBool = AtomicBool::new(false);
static MESSAGE: std::sync::atomic::AtomicPtr<u8> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static MESSAGE_LEN: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` so that an interrupt arriving meanwhile takes effect only after it returns.
pub fn critical<T>(f: impl FnOnce() -> T) -> T {
    DEPTH.fetch_add(1, Ordering::SeqCst);
    let result = f();
    if DEPTH.fetch_sub(1, Ordering::SeqCst) == 1 && PENDING.load(Ordering::SeqCst) {
        leave();
    }
    result
}

/// Sets what is printed (to stderr) when an interrupt ends the program. `message` must live for
/// the rest of the program.
pub fn set_exit_message(message: &'static [u8]) {
    MESSAGE_LEN.store(message.len(), Ordering::SeqCst);
    MESSAGE.store(message.as_ptr().cast_mut(), Ordering::SeqCst);
}

/// Whether something set how an interrupt ends the program (`set_exit_message`).
pub fn has_exit_policy() -> bool {
    !MESSAGE.load(Ordering::SeqCst).is_null()
}

/// For a signal handler: ends the program with status 130 now, or right after the current
/// critical section. Only async-signal-safe operations.
pub fn end_or_defer() {
    if DEPTH.load(Ordering::SeqCst) > 0 {
        PENDING.store(true, Ordering::SeqCst);
    } else {
        leave();
    }
}

fn leave() {
    let ptr = MESSAGE.load(Ordering::SeqCst);
    let len = MESSAGE_LEN.load(Ordering::SeqCst);
    // SAFETY: write(2) and _exit(2) are async-signal-safe; the message is 'static.
    unsafe {
        if !ptr.is_null() {
            libc::write(libc::STDERR_FILENO, ptr.cast(), len);
        }
        libc::_exit(130);
    }
}
