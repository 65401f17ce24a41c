//! What POP and POP_MARK discard: kept where CPython writes it, and pruned at STOP.
//!
//! A discarded value may be the only trace of a call the pickle made (a state setter, a
//! post-processing call, the first attempt at an object that refers to itself), so the
//! machine keeps each one where it was discarded. Most discarded values are not such traces:
//! the items of a recursive tuple are popped because the inner tuple holds them, and a popped
//! constant did nothing. Once the whole pickle has run, [`prune`] drops those.

use brine_value::{Change, Graph, Node, NodeId, Value};
use hashbrown::{HashMap, HashSet};

/// A value the stream computed and discarded, and where the graph keeps it.
#[derive(Clone, Copy)]
pub(crate) struct Discarded {
    pub(crate) value: Value,
    pub(crate) site: Site,
    /// The offset right after the POP that discarded it: a GET there may take it over.
    pub(crate) end: u64,
}

/// Where a discarded value is kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// A [`Change::Effect`] of this node.
    Change(NodeId),
    /// A [`Change::SetState`]: a call, never dropped.
    SetState,
    /// The prelude of this node.
    Prelude(NodeId),
    /// The graph's own effects.
    Graph,
}

/// Drops the discarded values that something else in the graph holds anyway, or that hold
/// nothing that acted. Later values go first, so that of a value discarded and then fetched
/// again into a later discarded one, only the later is kept.
pub(crate) fn prune(graph: &mut Graph, discarded: &[Discarded]) {
    let mut reached = HashSet::new();
    let mut stack: Vec<NodeId> = graph.root_value().node().into_iter().collect();
    walk(graph, &mut stack, &mut reached);
    let mut keep = vec![false; discarded.len()];
    for (idx, entry) in discarded.iter().enumerate().rev() {
        let Some(id) = entry.value.node() else {
            continue;
        };
        if entry.site == Site::SetState {
            keep[idx] = true;
            continue;
        }
        if reached.contains(&id) {
            continue;
        }
        let mut stack = vec![id];
        keep[idx] = walk(graph, &mut stack, &mut reached);
    }
    remove_dropped(graph, discarded, &keep);
}

/// Marks every node reachable from `stack` (through nodes, their changes but effects, and
/// their preludes never), and says whether one of them acted: a call, a global, an
/// extension code, a persistent id, a buffer, or a change.
fn walk(graph: &Graph, stack: &mut Vec<NodeId>, reached: &mut HashSet<NodeId>) -> bool {
    let mut acted = false;
    stack.retain(|id| reached.insert(*id));
    while let Some(id) = stack.pop() {
        let Some(node) = graph.try_node(id) else {
            continue;
        };
        acted |= matches!(
            node,
            Node::Global { .. }
                | Node::Ext(_)
                | Node::Reduce { .. }
                | Node::NewObj { .. }
                | Node::Inst { .. }
                | Node::Obj { .. }
                | Node::PersistentId(_)
                | Node::Buffer(_)
        );
        let mut visit = |child: &Value| {
            if let Some(child) = child.node() {
                if reached.insert(child) {
                    stack.push(child);
                }
            }
        };
        node.for_each_child(&mut visit);
        for change in graph.changes(id) {
            if !matches!(change, Change::Effect(_)) {
                acted = true;
                change.for_each_child(&mut visit);
            }
        }
    }
    acted
}

/// Removes the entries `keep` says to drop, each from its own site, in order.
fn remove_dropped(graph: &mut Graph, discarded: &[Discarded], keep: &[bool]) {
    let mut by_node: HashMap<NodeId, Vec<bool>> = HashMap::new();
    let mut by_prelude: HashMap<NodeId, Vec<bool>> = HashMap::new();
    let mut effects = Vec::new();
    for (entry, &keep) in discarded.iter().zip(keep) {
        match entry.site {
            Site::Change(id) => by_node.entry(id).or_default().push(keep),
            Site::Prelude(id) => by_prelude.entry(id).or_default().push(keep),
            Site::Graph => effects.push(keep),
            Site::SetState => {}
        }
    }
    for (id, flags) in by_node {
        let mut flags = flags.into_iter();
        graph.retain_changes(id, |change| {
            !matches!(change, Change::Effect(_)) || flags.next().unwrap_or(true)
        });
    }
    for (id, flags) in by_prelude {
        let mut flags = flags.into_iter();
        graph.retain_prelude(id, |_| flags.next().unwrap_or(true));
    }
    let mut flags = effects.into_iter();
    graph.retain_effects(|_| flags.next().unwrap_or(true));
}

/// The most nodes [`refers_back`] visits in all, over one pickle: what a hostile pickle
/// can make the look-ups cost, whatever their number.
pub(crate) const REFERS_BACK_BUDGET: usize = 1 << 22;

/// Whether node `id` is reachable from its own fields (a call's callable and arguments,
/// and its changes), so that saving it saves it again: CPython's pickler then writes an
/// outer attempt at it, popped for the memoized object. `None` when the walk would visit
/// more nodes than `budget` has left (each visit is taken from it).
pub(crate) fn refers_back(graph: &Graph, id: NodeId, budget: &mut usize) -> Option<bool> {
    let mut seen = HashSet::new();
    let mut stack = vec![id];
    while let Some(node) = stack.pop() {
        if node != id {
            *budget = budget.checked_sub(1)?;
        }
        let mut found = false;
        graph.for_each_child(node, |child| {
            if let Some(child) = child.node() {
                found |= child == id;
                if seen.insert(child) {
                    stack.push(child);
                }
            }
        });
        if found {
            return Some(true);
        }
    }
    Some(false)
}
