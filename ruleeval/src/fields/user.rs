//! User and group fields (`user.*`, `group.*`), from the trace's tables.

use super::*;

/// Value `n` of `fld`, a `user` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    _n: usize,
    _buf: &'a mut String,
) -> Option<Val<'a>> {
    let t = cx.thread;
    match fld.f {
        F::UserUid => Some(Val::Int(t?.euid as i64)),
        // libs master: an int64, -1 for the invalid UINT32_MAX, else the
        // unsigned value (sysdig 0.29.3 prints it as an int32)
        F::UserLoginuid => Some(Val::Int(match t?.loginuid {
            u32::MAX => -1,
            l => l as i64,
        })),
        F::UserName => cx.state.user_name(t?.euid).and_then(s),
        F::UserLoginname => {
            let l = t?.loginuid;
            if l == u32::MAX {
                return None;
            }
            cx.state.user_name(l).and_then(s)
        }
        F::UserHomedir => cx
            .state
            .users
            .get(&t?.euid)
            .map(|u| Val::Str(u.home.as_bytes())),
        F::UserShell => cx
            .state
            .users
            .get(&t?.euid)
            .map(|u| Val::Str(u.shell.as_bytes())),
        F::GroupGid => Some(Val::Int(t?.egid as i64)),
        F::GroupName => cx.state.group_name(t?.egid).and_then(s),
        _ => None,
    }
}
