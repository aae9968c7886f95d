//! YAML documents as the loader reads them: saphyr's parser events built
//! into a tree the way saphyr's `YamlLoader` builds its `MarkedYaml`, with
//! the same spans, scalar values, anchors, alias budget and errors, except
//! that a mapping is a vector of pairs in document order rather than a
//! linked hash map: building and freeing the hash maps (one per rules file
//! item) cost about a tenth of loading Falco's rules. Test
//! `loader::tests::the_tree_is_saphyrs` compares the two.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash, Hasher};

use saphyr::{Scalar, Yaml};
use saphyr_parser::{Event, Marker, Parser, ScanError, Span, SpannedEventReceiver, Tag};

/// A node and where it is.
#[derive(Clone, Debug)]
pub struct MarkedYaml<'i> {
    pub span: Span,
    pub data: YamlData<'i>,
}

/// A node's content (saphyr's `YamlData` as its loader fills it: scalars
/// are parsed, aliases resolved).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum YamlData<'i> {
    Value(Scalar<'i>),
    Sequence(Vec<MarkedYaml<'i>>),
    /// Keys and values in document order; keys are distinct.
    Mapping(Vec<(MarkedYaml<'i>, MarkedYaml<'i>)>),
    Tagged(Cow<'i, Tag>, Box<MarkedYaml<'i>>),
    BadValue,
}

// As saphyr's: nodes compare (as mapping keys) by content, not position.
impl PartialEq for MarkedYaml<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}
impl Eq for MarkedYaml<'_> {}
impl Hash for MarkedYaml<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.data.hash(state);
    }
}

impl<'i> MarkedYaml<'i> {
    fn bare(data: YamlData<'i>) -> Self {
        MarkedYaml {
            span: Span::default(),
            data,
        }
    }

    /// saphyr's `from_bare_yaml` of a scalar's value.
    fn from_scalar_yaml(y: Yaml<'i>) -> Self {
        MarkedYaml::bare(match y {
            Yaml::Value(v) => YamlData::Value(v),
            Yaml::Tagged(tag, inner) => {
                YamlData::Tagged(tag, Box::new(MarkedYaml::from_scalar_yaml(*inner)))
            }
            // a scalar's value is one of the above (or BadValue)
            _ => YamlData::BadValue,
        })
    }

    fn into_tagged(self, tag: Cow<'i, Tag>) -> Self {
        MarkedYaml {
            span: self.span,
            data: YamlData::Tagged(tag, Box::new(self)),
        }
    }

    fn is_collection(&self) -> bool {
        matches!(self.data, YamlData::Sequence(_) | YamlData::Mapping(_))
    }
}

/// Parse every document of `text` (saphyr's `load_from_str`).
pub fn load_from_str(text: &str) -> Result<Vec<MarkedYaml<'_>>, ScanError> {
    let mut b = Builder {
        docs: Vec::new(),
        doc_stack: Vec::new(),
        key_stack: Vec::new(),
        anchors: BTreeMap::new(),
        alias_budget: ALIAS_LIMIT,
        error: None,
        hasher: foldhash::fast::RandomState::default(),
    };
    Parser::new_from_str(text).load(&mut b, true)?;
    match b.error {
        Some(e) => Err(e),
        None => Ok(b.docs),
    }
}

/// saphyr's default budget of nodes that aliases may copy.
const ALIAS_LIMIT: usize = 100_000;

/// Keys a mapping compares a new key with one by one; a larger mapping
/// looks duplicates up by hash (a mapping of many keys stays linear).
const SCAN_KEYS: usize = 16;

/// A collection being built, with what its end event needs.
struct Open<'i> {
    node: MarkedYaml<'i>,
    anchor: usize,
    tag: Option<Cow<'i, Tag>>,
    /// A mapping's keys by hash (past SCAN_KEYS keys): their indexes.
    keys: Option<crate::FastMap<u64, Vec<usize>>>,
}

struct Builder<'i> {
    docs: Vec<MarkedYaml<'i>>,
    doc_stack: Vec<Open<'i>>,
    /// Per open mapping: its pending key (BadValue: none yet) and where
    /// that key starts.
    key_stack: Vec<(MarkedYaml<'i>, Marker)>,
    anchors: BTreeMap<usize, MarkedYaml<'i>>,
    alias_budget: usize,
    error: Option<ScanError>,
    hasher: foldhash::fast::RandomState,
}

impl<'i> SpannedEventReceiver<'i> for Builder<'i> {
    fn on_event(&mut self, ev: Event<'i>, span: Span) {
        // after an error the tree is not trusted: keep the first error
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.event(ev, span) {
            self.error = Some(e);
        }
    }
}

impl<'i> Builder<'i> {
    fn event(&mut self, ev: Event<'i>, span: Span) -> Result<(), ScanError> {
        let mark = span.start;
        match ev {
            Event::DocumentStart(_) | Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentEnd => match self.doc_stack.pop() {
                None => self.docs.push(MarkedYaml {
                    span,
                    data: YamlData::BadValue,
                }),
                Some(o) => self.docs.push(o.node),
            },
            Event::SequenceStart(anchor, tag) => {
                self.open(YamlData::Sequence(Vec::new()), mark, anchor, tag)
            }
            Event::MappingStart(anchor, tag) => {
                self.open(YamlData::Mapping(Vec::new()), mark, anchor, tag);
                self.key_stack
                    .push((MarkedYaml::bare(YamlData::BadValue), mark));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if ev == Event::MappingEnd {
                    self.key_stack.pop();
                }
                // the parser pairs every end with its start
                let Some(o) = self.doc_stack.pop() else {
                    return Ok(());
                };
                let mut node = o.node;
                node.span.end = mark;
                if let Some(tag) = o.tag {
                    if !tag.is_yaml_core_schema() {
                        node = node.into_tagged(tag);
                    }
                }
                self.insert(node, o.anchor, None, mark)?;
            }
            Event::Scalar(v, style, anchor, tag) => {
                let value = Yaml::value_from_cow_and_metadata(v, style, tag.as_ref());
                let mut node = MarkedYaml::from_scalar_yaml(value);
                node.span = span;
                self.insert(node, anchor, tag, mark)?;
            }
            Event::Alias(id) => {
                let mut node = self.resolve_alias(id, mark);
                node.span = span;
                self.insert(node, 0, None, mark)?;
            }
        }
        Ok(())
    }

    fn open(&mut self, data: YamlData<'i>, mark: Marker, anchor: usize, tag: Option<Cow<'i, Tag>>) {
        let mut node = MarkedYaml::bare(data);
        node.span.start = mark;
        self.doc_stack.push(Open {
            node,
            anchor,
            tag,
            keys: None,
        });
    }

    fn insert(
        &mut self,
        mut node: MarkedYaml<'i>,
        anchor: usize,
        tag: Option<Cow<'i, Tag>>,
        mark: Marker,
    ) -> Result<(), ScanError> {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(parent) = self.doc_stack.last_mut() else {
            self.doc_stack.push(Open {
                node,
                anchor,
                tag,
                keys: None,
            });
            return Ok(());
        };
        if let Some(tag) = tag {
            if node.is_collection() && !tag.is_yaml_core_schema() {
                node = node.into_tagged(tag);
            }
        }
        match &mut parent.node.data {
            YamlData::Sequence(v) => v.push(node),
            YamlData::Mapping(pairs) => {
                // a mapping on the stack always has its key slot
                let Some((key, key_mark)) = self.key_stack.last_mut() else {
                    return Ok(());
                };
                if key.data == YamlData::BadValue {
                    *key = node;
                    *key_mark = mark;
                    return Ok(());
                }
                let key = std::mem::replace(key, MarkedYaml::bare(YamlData::BadValue));
                let dup = match &mut parent.keys {
                    None if pairs.len() < SCAN_KEYS => pairs.iter().any(|(k, _)| *k == key),
                    keys => {
                        let index = keys.get_or_insert_with(|| {
                            let mut m = crate::FastMap::default();
                            for (i, (k, _)) in pairs.iter().enumerate() {
                                m.entry(self.hasher.hash_one(k))
                                    .or_insert_with(Vec::new)
                                    .push(i);
                            }
                            m
                        });
                        let same = index.entry(self.hasher.hash_one(&key)).or_default();
                        let dup = same.iter().any(|&i| pairs[i].0 == key);
                        same.push(pairs.len());
                        dup
                    }
                };
                if dup {
                    return Err(ScanError::new_str(*key_mark, "duplicated key in mapping"));
                }
                pairs.push((key, node));
            }
            _ => {}
        }
        Ok(())
    }

    /// saphyr's `resolve_alias`: a copy of the anchored node, within the
    /// budget of copied nodes.
    fn resolve_alias(&mut self, id: usize, mark: Marker) -> MarkedYaml<'i> {
        let bad = MarkedYaml::bare(YamlData::BadValue);
        let Some(anchored) = self.anchors.get(&id) else {
            return bad;
        };
        let mut remaining = self.alias_budget;
        if count_within(anchored, &mut remaining) {
            self.alias_budget = remaining;
            anchored.clone()
        } else {
            self.error = Some(ScanError::new_str(
                mark,
                "alias expansion exceeded the maximum node budget (possible billion-laughs attack)",
            ));
            bad
        }
    }
}

/// saphyr's `count_nodes_within_budget`: a mapping's keys count one node
/// each; false once the budget is spent.
fn count_within(node: &MarkedYaml, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match &node.data {
        YamlData::Sequence(v) => v.iter().all(|c| count_within(c, budget)),
        YamlData::Mapping(pairs) => pairs.iter().all(|(_, v)| {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            count_within(v, budget)
        }),
        _ => true,
    }
}
