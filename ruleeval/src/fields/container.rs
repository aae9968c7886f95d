//! Container fields: `container.id` from the cgroup; the rest from the
//! trace's container records (`State::containers`), as libsinsp's
//! `sinsp_filter_check_container` (sysdig 0.29.3) extracts them.

use super::*;
use crate::compile::glob_match;
use crate::containers::Mount;

/// Value `n` of `fld`, a `container` field (see [`Field::extract`]).
pub(super) fn extract<'a>(
    fld: &'a Field,
    cx: &Ctx<'a>,
    _n: usize,
    buf: &'a mut String,
) -> Option<Val<'a>> {
    let t = cx.thread?;
    if fld.f == F::ContainerId {
        return s(&t.container_id);
    }
    let is_host = &*t.container_id == "host";
    if is_host {
        // libsinsp names the host; every other field has no value there
        return match fld.f {
            F::ContainerName | F::ContainerType => s("host"),
            _ => None,
        };
    }
    let c = cx.state.containers.get(&t.container_id)?;
    let nonempty = |v: &'a str| if v.is_empty() { None } else { s(v) };
    match fld.f {
        F::ContainerName => nonempty(&c.name),
        F::ContainerImage => nonempty(&c.image),
        F::ContainerImageId => nonempty(&c.image_id),
        F::ContainerImageRepo => nonempty(&c.image_repo),
        F::ContainerImageTag => nonempty(&c.image_tag),
        F::ContainerImageDigest => nonempty(&c.image_digest),
        F::ContainerType => s(c.type_name()?),
        F::ContainerPrivileged => c.knows_privileged().then_some(Val::Bool(c.privileged)),
        F::ContainerMounts => {
            buf.clear();
            for (i, m) in c.mounts.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                m.render(buf);
            }
            Some(Val::Str(buf.as_bytes()))
        }
        F::ContainerMount
        | F::ContainerMountSource
        | F::ContainerMountDest
        | F::ContainerMountMode
        | F::ContainerMountRdwr
        | F::ContainerMountPropagation => {
            // by index, or the first mount whose source (its destination
            // for container.mount.source) matches the glob
            let m: &Mount = match &fld.arg {
                FArg::Index(i) => c.mounts.get(*i)?,
                FArg::Name(g) => c.mounts.iter().find(|m| {
                    let what = if fld.f == F::ContainerMountSource {
                        &m.dest
                    } else {
                        &m.source
                    };
                    glob_match(g.as_bytes(), what.as_bytes(), false)
                })?,
                FArg::None => return None,
            };
            match fld.f {
                F::ContainerMount => {
                    buf.clear();
                    m.render(buf);
                    Some(Val::Str(buf.as_bytes()))
                }
                F::ContainerMountSource => s(&m.source),
                F::ContainerMountDest => s(&m.dest),
                F::ContainerMountMode => s(&m.mode),
                F::ContainerMountRdwr => s(if m.rdwr { "true" } else { "false" }),
                _ => s(&m.propagation),
            }
        }
        _ => None,
    }
}
