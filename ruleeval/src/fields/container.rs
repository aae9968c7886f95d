//! Container fields: `container.id` from the cgroup; the rest has no value offline.

use super::*;

/// Value `n` of `fld`, a `container` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    _n: usize,
    _buf: &'a mut String,
) -> Option<Val<'a>> {
    let t = cx.thread;
    match fld.f {
        F::ContainerId => s(&t?.container_id),
        F::Offline => None,
        _ => None,
    }
}
