//! Connecting to the Wayland compositor and binding the seat and one protocol's manager: what
//! the virtual keyboard and the clipboard both start with.

use std::ops::RangeInclusive;

use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::{wl_registry, wl_seat::WlSeat};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy};

use super::OutputError;

/// Globals coming and going after start are of no interest here.
macro_rules! ignore_registry_events {
    ($state:ty) => {
        impl
            wayland_client::Dispatch<
                wayland_client::protocol::wl_registry::WlRegistry,
                wayland_client::globals::GlobalListContents,
            > for $state
        {
            fn event(
                _: &mut Self,
                _: &wayland_client::protocol::wl_registry::WlRegistry,
                _: wayland_client::protocol::wl_registry::Event,
                _: &wayland_client::globals::GlobalListContents,
                _: &wayland_client::Connection,
                _: &wayland_client::QueueHandle<Self>,
            ) {
            }
        }
    };
}
pub(super) use ignore_registry_events;

/// The connection's queue, the seat, and the manager `M` (bound at a version in `versions`).
pub(super) fn connect<S, M>(
    versions: RangeInclusive<u32>,
) -> Result<(EventQueue<S>, WlSeat, M), OutputError>
where
    S: Dispatch<wl_registry::WlRegistry, GlobalListContents>
        + Dispatch<WlSeat, ()>
        + Dispatch<M, ()>
        + 'static,
    M: Proxy + 'static,
{
    let connection = Connection::connect_to_env()
        .map_err(|e| OutputError::NoDisplay(format!("no Wayland compositor: {e}")))?;
    let (globals, queue) = registry_queue_init::<S>(&connection)
        .map_err(|e| OutputError::NoDisplay(format!("the Wayland compositor: {e}")))?;
    let qh = queue.handle();
    let seat = globals
        .bind::<WlSeat, _, _>(&qh, 1..=7, ())
        .map_err(|e| OutputError::NoDisplay(format!("no Wayland seat: {e}")))?;
    let manager = globals.bind::<M, _, _>(&qh, versions, ()).map_err(|_| {
        OutputError::NoDisplay(format!(
            "this Wayland compositor offers no {}",
            M::interface().name
        ))
    })?;
    Ok((queue, seat, manager))
}

/// The interfaces the compositor offers.
pub(super) fn interfaces() -> Option<Vec<String>> {
    struct Names;
    ignore_registry_events!(Names);
    let connection = Connection::connect_to_env().ok()?;
    let (globals, _queue) = registry_queue_init::<Names>(&connection).ok()?;
    Some(
        globals
            .contents()
            .with_list(|list| list.iter().map(|g| g.interface.clone()).collect()),
    )
}
