//! The container table: what the trace's container records say about each
//! container, as libsinsp's container manager keeps it from the container
//! JSON events of a capture (sysdig 0.29.3's `parse_container_json_evt`:
//! a later record for the same id replaces the earlier one).

use std::collections::HashMap;

use serde_json::Value;

/// One mount of a container (libsinsp's `container_mount_info`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    pub mode: String,
    pub rdwr: bool,
    pub propagation: String,
}

impl Mount {
    /// `<source>:<dest>:<mode>:<rdwr>:<propagation>`, as libsinsp prints it.
    pub fn render(&self, out: &mut String) {
        out.push_str(&self.source);
        out.push(':');
        out.push_str(&self.dest);
        out.push(':');
        out.push_str(&self.mode);
        out.push(':');
        out.push_str(if self.rdwr { "true" } else { "false" });
        out.push(':');
        out.push_str(&self.propagation);
    }
}

/// What a container record says about one container.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    /// libsinsp's `sinsp_container_type` (0 docker, 1 lxc, ...).
    pub ty: u32,
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub image_repo: String,
    pub image_tag: String,
    pub image_digest: String,
    pub privileged: bool,
    pub mounts: Vec<Mount>,
}

impl ContainerInfo {
    /// Parse `{"container":{...}}`; None when it is not JSON or has no id.
    pub fn from_json(json: &[u8]) -> Option<ContainerInfo> {
        let v: Value = serde_json::from_slice(json).ok()?;
        let c = v.get("container")?;
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let id = text("id");
        if id.is_empty() {
            return None;
        }
        let mounts = c
            .get("Mounts")
            .and_then(Value::as_array)
            .map(|ms| {
                ms.iter()
                    .map(|m| {
                        let t =
                            |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        Mount {
                            source: t("Source"),
                            dest: t("Destination"),
                            mode: t("Mode"),
                            rdwr: m.get("RW").and_then(Value::as_bool).unwrap_or(false),
                            propagation: t("Propagation"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(ContainerInfo {
            ty: c.get("type").and_then(Value::as_u64).unwrap_or(0) as u32,
            name: text("name"),
            image: text("image"),
            image_id: text("imageid"),
            image_repo: text("imagerepo"),
            image_tag: text("imagetag"),
            image_digest: text("imagedigest"),
            privileged: c
                .get("privileged")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            mounts,
            id,
        })
    }

    /// `container.type`'s name of the type (sysdig 0.29.3's names).
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self.ty {
            0 => "docker",
            1 => "lxc",
            2 => "libvirt-lxc",
            3 => "mesos",
            4 => "rkt",
            6 => "cri",
            7 => "containerd",
            8 => "cri-o",
            9 => "bpm",
            11 => "podman",
            _ => return None,
        })
    }

    /// Whether libsinsp gives `container.privileged` a value: only for the
    /// runtimes that report it (docker and podman, `is_docker_compatible`).
    pub fn knows_privileged(&self) -> bool {
        matches!(self.ty, 0 | 11)
    }
}

/// Containers by id.
#[derive(Clone, Debug, Default)]
pub struct Containers {
    by_id: HashMap<String, ContainerInfo>,
    /// Container records whose JSON could not be read.
    pub unreadable: u64,
}

impl Containers {
    /// Learn (or replace) a container from a container record's JSON.
    pub fn learn(&mut self, json: &[u8]) {
        match ContainerInfo::from_json(json) {
            Some(c) => {
                self.by_id.insert(c.id.clone(), c);
            }
            None => self.unreadable += 1,
        }
    }

    pub fn get(&self, id: &str) -> Option<&ContainerInfo> {
        self.by_id.get(id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX: &str = r#"{"container":{"Mounts":[{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","Mode":"","RW":true,"Propagation":"rprivate"}],"id":"697956520d89","image":"nginx","imagedigest":"sha256:96fb","imageid":"f68d","imagerepo":"nginx","imagetag":"latest","name":"hopeful_taussig","privileged":true,"type":0}}"#;

    #[test]
    fn parses_libsinsp_container_json() {
        let c = ContainerInfo::from_json(NGINX.as_bytes()).unwrap();
        assert_eq!(c.id, "697956520d89");
        assert_eq!(c.name, "hopeful_taussig");
        assert_eq!(c.image_repo, "nginx");
        assert_eq!(c.image_tag, "latest");
        assert!(c.privileged && c.knows_privileged());
        assert_eq!(c.type_name(), Some("docker"));
        let mut s = String::new();
        c.mounts[0].render(&mut s);
        assert_eq!(
            s,
            "/var/run/docker.sock:/var/run/docker.sock::true:rprivate"
        );
    }

    #[test]
    fn a_later_record_replaces_and_bad_json_is_counted() {
        let mut t = Containers::default();
        t.learn(br#"{"container":{"id":"697956520d89","image":"incomplete"}}"#);
        assert_eq!(t.get("697956520d89").unwrap().image, "incomplete");
        t.learn(NGINX.as_bytes());
        assert_eq!(t.get("697956520d89").unwrap().image, "nginx");
        assert_eq!(t.len(), 1);
        t.learn(b"{not json");
        t.learn(br#"{"container":{"name":"no id"}}"#);
        assert_eq!(t.unreadable, 2);
    }
}
