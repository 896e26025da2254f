//! Locking: on request, on the panic shortcut, after the idle timeout and after a system
//! suspend. A lock drops the vault (its keys zeroize), then reloads the page so that no
//! decrypted text survives in the DOM or in JavaScript memory that is still reachable.

use std::time::Duration;

use rustix::time::{ClockId, DynamicClockId};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// How often the watcher looks at the idle time and the clocks.
const TICK: Duration = Duration::from_secs(1);
/// A gap this large between boot time and monotonic time means the machine was suspended.
const SUSPEND_GAP: Duration = Duration::from_secs(3);

pub fn lock_now<R: Runtime>(app: &AppHandle<R>, state: &AppState, panic: bool) {
    let window = app.get_webview_window(crate::MAIN_WINDOW);
    if panic && let Some(w) = &window {
        // Hide first: the screen must be clear before anything else happens.
        let _ = w.hide();
    }
    state.lock();
    if let Some(w) = &window {
        let _ = w.reload();
        if panic {
            // Back in the task bar, minimised, showing only the unlock screen.
            let _ = w.minimize();
            let _ = w.show();
        }
    }
}

/// Nanoseconds on a clock; `Boottime` keeps counting during suspend, `Monotonic` does not.
fn clock(id: DynamicClockId<'_>) -> Option<Duration> {
    rustix::time::clock_gettime_dynamic(id)
        .ok()
        .map(|t| Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
}

/// Starts the thread that locks after the idle timeout or a suspend.
pub fn spawn_watcher<R: Runtime>(app: AppHandle<R>) {
    std::thread::spawn(move || {
        let gap = || {
            let boot = clock(DynamicClockId::Boottime)?;
            let mono = clock(DynamicClockId::Known(ClockId::Monotonic))?;
            boot.checked_sub(mono)
        };
        let mut last_gap = gap();
        loop {
            std::thread::sleep(TICK);
            let state = app.state::<AppState>();
            let now_gap = gap();
            let suspended = match (last_gap, now_gap) {
                (Some(a), Some(b)) => b.saturating_sub(a) > SUSPEND_GAP,
                _ => false,
            };
            last_gap = now_gap;
            let idle = state.idle_for()
                >= Duration::from_secs(u64::from(state.settings().idle_minutes) * 60);
            if (suspended || idle) && state.is_unlocked() {
                lock_now(&app, &state, false);
            }
        }
    });
}

/// Release builds write no core dump: one would hold decrypted testimonies and keys.
pub fn forbid_core_dumps() {
    if cfg!(debug_assertions) {
        return;
    }
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Core,
        rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}
