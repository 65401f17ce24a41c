//! Walks what the machine built and judges every global it would import and every call it
//! would make.
//!
//! The walk covers the whole arena of the graph, not what is reachable from the root: a
//! call whose result was popped, memoized and dropped, or left behind by an error is in the
//! arena as much as the root is, and CPython would have made it. Each node is judged once:
//!
//! - a global (GLOBAL, STACK_GLOBAL, INST's class, a registry-resolved EXT code) by its name,
//!   against [`crate::lists`];
//! - an extension code no registry resolved: dangerous, since it names whatever the loading
//!   process registered;
//! - a call (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) by what brine-interpret says it calls: a
//!   class or function by name (a nested class reached through `getattr` included), or a
//!   value computed at load time, which is dangerous;
//! - `getattr(owner, 'attr')` as the global `owner.attr` it names, so that protocols 0-3's
//!   nested classes pass and `getattr(posix, 'system')` does not; `getattr` used any other
//!   way (passed to another call, called on a computed object) is dangerous;
//! - BUILD on a global (a class, a function, a module): it sets attributes of a shared
//!   object, rebinding names for everything loaded after;
//! - a state setter `setter(obj, state)` as a call of `setter`.

use std::collections::HashMap;

use brine_interpret::code::CellFills;
use brine_interpret::{Interpreter, View};
use brine_value::{Change, Graph, Node, NodeId, Value, compat};
use brine_vm::{ErrorKind, Partial};
use hashbrown::HashSet;

use crate::lists::{self, Judgement};
use crate::render;
use crate::report::{Finding, PickleReport, Verdict};

/// Judges everything `partial` holds. `start` is where the pickle starts in the bytes
/// scanned; offsets in the findings are from the start of the pickle.
pub(crate) fn analyze(
    partial: &Partial,
    allow: &[String],
    max_findings: usize,
    start: u64,
) -> PickleReport {
    let graph = &partial.graph;
    let interp = Interpreter::new(graph);
    let mut made = HashMap::new();
    let mut built = HashMap::new();
    for origin in &partial.origins {
        if origin.opcode == brine_lex::Opcode::BUILD {
            built.entry(origin.node).or_insert(origin.offset);
        } else {
            made.entry(origin.node).or_insert(origin.offset);
        }
    }
    let mut walk = Walk {
        graph,
        fills: interp.cell_fills(),
        allow,
        findings: Vec::new(),
        safe_seen: HashSet::new(),
        called: HashSet::new(),
        attribute_gets: HashSet::new(),
        getattr_nodes: HashSet::new(),
    };
    walk.find_attribute_gets(&interp);
    if partial.open_marks > 0 && partial.error.is_none() {
        walk.push(Finding {
            verdict: Verdict::Dangerous,
            global: None,
            call: None,
            offset: (partial.end as u64).checked_sub(1),
            reason: format!(
                "{} MARK(s) left open at STOP: CPython's pickler never writes one, and what \
                 they hide misleads readers that model the stack loosely",
                partial.open_marks
            ),
        });
    }
    for (id, node) in graph.nodes() {
        let offset = made.get(&id).copied();
        match node {
            Node::Reduce { .. } | Node::NewObj { .. } | Node::Inst { .. } | Node::Obj { .. } => {
                walk.call(&interp, id, node, offset);
            }
            // CPython writes extension codes for what a program registered with
            // `copyreg.add_extension`; the default registry is empty, so the load fails
            // unless the loading process registered the same code, and then the code names
            // whatever that process chose: no scan can vouch for it (the structural
            // red flags), so it is dangerous unless a registry given to the scan resolves it.
            Node::Ext(code) => walk.push(Finding {
                verdict: Verdict::Dangerous,
                global: None,
                call: None,
                offset,
                reason: format!(
                    "extension code {code}: names whatever global the loading process \
                     registered under it, which no scan can know"
                ),
            }),
            _ => {}
        }
        for change in graph.changes(id) {
            walk.change(id, change, built.get(&id).copied().or(offset));
        }
    }
    // Globals named but never called: importing them runs the module, and they may be
    // called by another call they are passed to.
    for (id, node) in graph.nodes() {
        if let Node::Global { .. } = node {
            if !walk.called.contains(&id) {
                walk.global(id, made.get(&id).copied());
            }
        }
    }
    walk.referenced_getattr(&made);

    let mut findings = walk.findings;
    let mut verdict = findings
        .iter()
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    let mut error = None;
    if let Some(err) = &partial.error {
        error = Some(err.to_string());
        if matches!(err.kind(), ErrorKind::StackGlobalNotStr) {
            findings.push(Finding {
                verdict: Verdict::Dangerous,
                global: None,
                call: None,
                offset: Some(err.offset()),
                reason: "STACK_GLOBAL with a module or name that is not a str constant: the \
                         name is computed at load time, so no list can judge it"
                    .into(),
            });
            verdict = Verdict::Dangerous;
        } else if verdict < Verdict::Dangerous {
            verdict = Verdict::Inconclusive;
        }
    }
    findings.sort_by_key(|finding| (finding.verdict == Verdict::Safe, finding.offset));
    let unsafe_count = findings
        .iter()
        .filter(|f| f.verdict > Verdict::Safe)
        .count();
    let mut omitted = 0;
    if unsafe_count > max_findings {
        omitted = unsafe_count - max_findings;
        let mut kept = 0;
        findings.retain(|finding| {
            if finding.verdict == Verdict::Safe {
                return true;
            }
            kept += 1;
            kept <= max_findings
        });
    }
    PickleReport {
        start,
        end: start + partial.end as u64,
        verdict,
        findings,
        omitted,
        error,
    }
}

/// What a call that rebuilds a function or a code object (cloudpickle's `_make_function`,
/// dill's `_create_function` and `_create_code`, `types.FunctionType`, `types.CodeType`)
/// makes, in words: "rebuilds function `f` (code of 12 bytes)".
fn rebuilt_code<'g>(interp: &Interpreter<'g>, fills: &CellFills<'g>, id: NodeId) -> Option<String> {
    let value = Value::Node(id);
    if let Some(Ok(function)) = interp.function_with(&value, fills) {
        return Some(format!(
            "rebuilds function `{}` (code of {} bytes)",
            function.qualname,
            function.code.bytecode.as_slice().len()
        ));
    }
    if let Some(Ok(code)) = interp.code(&value) {
        return Some(format!(
            "rebuilds the code of `{}` ({} bytes)",
            code.qualname(),
            code.bytecode.as_slice().len()
        ));
    }
    None
}

/// Whether `module.name` is `builtins.getattr`, which protocols 0-3 write for nested classes.
fn is_getattr(module: &str, name: &str) -> bool {
    lists::matches(lists::GETATTR, module, name)
}

struct Walk<'g, 'a> {
    graph: &'g Graph,
    /// The closure cells the pickle fills after making them, for naming the functions it
    /// rebuilds.
    fills: CellFills<'g>,
    allow: &'a [String],
    findings: Vec<Finding>,
    /// The safe globals already reported: each is reported once.
    safe_seen: HashSet<String>,
    /// The global nodes judged as the callable of a call.
    called: HashSet<NodeId>,
    /// The `getattr(owner, 'attr')` calls that name a global `owner.attr`.
    attribute_gets: HashSet<NodeId>,
    /// The global nodes that are `builtins.getattr`.
    getattr_nodes: HashSet<NodeId>,
}

impl<'g> Walk<'g, '_> {
    fn push(&mut self, finding: Finding) {
        if finding.verdict == Verdict::Safe {
            let key = finding.global.clone().unwrap_or_default();
            if !self.safe_seen.insert(key) {
                return;
            }
        }
        self.findings.push(finding);
    }

    /// Whether a finding of `verdict` about `global` would be dropped as a repeat.
    fn seen_safe(&self, verdict: Verdict, global: &str) -> bool {
        verdict == Verdict::Safe && self.safe_seen.contains(global)
    }

    /// The Python 3 name of a global node, as fix_imports reads Python 2 names.
    fn global_name(&self, value: &Value) -> Option<(String, String)> {
        let Some(Node::Global { module, name }) = self.graph.get(value).node() else {
            return None;
        };
        let (module, name) = (self.graph.get(module).text()?, self.graph.get(name).text()?);
        let (module, name) = compat::py2_to_py3(&module, &name);
        Some((module.to_owned(), name.to_owned()))
    }

    fn is_getattr(&self, value: &Value) -> bool {
        self.global_name(value)
            .is_some_and(|(module, name)| is_getattr(&module, &name))
    }

    fn find_attribute_gets(&mut self, interp: &Interpreter<'_>) {
        for (id, node) in self.graph.nodes() {
            if matches!(node, Node::Global { .. }) && self.is_getattr(&Value::Node(id)) {
                self.getattr_nodes.insert(id);
            }
        }
        if self.getattr_nodes.is_empty() {
            return;
        }
        for (id, node) in self.graph.nodes() {
            let Node::Reduce { callable, .. } = node else {
                continue;
            };
            if self.is_getattr(callable) && matches!(interp.node(id).view, View::Global(_)) {
                self.attribute_gets.insert(id);
            }
        }
    }

    /// `getattr` itself: fine as the callable of a call that names a global, dangerous
    /// anywhere else (passed to another call, kept in a container).
    fn referenced_getattr(&mut self, made: &HashMap<NodeId, u64>) {
        if self.getattr_nodes.is_empty() {
            return;
        }
        let mut elsewhere: Vec<NodeId> = Vec::new();
        let mut check = |walk: &Walk<'_, '_>, value: &Value| {
            if let Some(id) = value.node().filter(|id| walk.getattr_nodes.contains(id)) {
                elsewhere.push(id);
            }
        };
        for (id, node) in self.graph.nodes() {
            match node {
                Node::Reduce { args, .. } if self.attribute_gets.contains(&id) => {
                    check(self, args);
                    for change in self.graph.changes(id) {
                        change.for_each_child(|child| check(self, child));
                    }
                }
                _ => self.graph.for_each_child(id, |child| check(self, child)),
            }
            for value in self.graph.prelude(id) {
                check(self, value);
            }
        }
        for value in self.graph.effects() {
            check(self, value);
        }
        check(self, self.graph.root_value());
        elsewhere.sort();
        elsewhere.dedup();
        for id in elsewhere {
            self.push(Finding {
                verdict: Verdict::Dangerous,
                global: Some("builtins.getattr".into()),
                call: None,
                offset: made.get(&id).copied(),
                reason: "getattr used other than to name a nested class: gets any attribute \
                         of any object"
                    .into(),
            });
        }
    }

    fn judge(&self, module: &str, name: &str) -> Judgement {
        lists::judge(module, name, self.allow)
    }

    /// A global named but not called.
    fn global(&mut self, id: NodeId, offset: Option<u64>) {
        let value = Value::Node(id);
        let Some((module, name)) = self.global_name(&value) else {
            self.push(Finding {
                verdict: Verdict::Dangerous,
                global: None,
                call: None,
                offset,
                reason: "a global whose module or name is not text".into(),
            });
            return;
        };
        if is_getattr(&module, &name) {
            // Judged by its uses, in `referenced_getattr`.
            return;
        }
        let judgement = self.judge(&module, &name);
        self.push(Finding {
            verdict: judgement.verdict,
            global: Some(format!("{module}.{name}")),
            call: None,
            offset,
            reason: judgement.reason,
        });
    }

    /// REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ.
    fn call(&mut self, interp: &Interpreter<'g>, id: NodeId, node: &Node, offset: Option<u64>) {
        let callable = match node {
            Node::Reduce { callable, .. } => *callable,
            Node::NewObj { cls, .. } => *cls,
            Node::Inst { class, .. } | Node::Obj { class, .. } => *class,
            _ => return,
        };
        // Rendering is the costly part of a finding: a safe global already reported (the
        // millionth datetime) is not rendered again.
        let rendered = || render::value(self.graph, &Value::Node(id));
        if self.attribute_gets.contains(&id) {
            if let Some(global) = callable.node() {
                self.called.insert(global);
            }
            if let View::Global(name) = interp.node(id).view {
                // `cls.__new__` (how `copyreg.__newobj_ex__` is written at protocols 2 and
                // 3) makes an instance, as NEWOBJ does: the class is what is judged.
                let qualname = name.name.strip_suffix(".__new__").unwrap_or(&name.name);
                let judgement = self.judge(name.module, qualname);
                let global = format!("{}.{}", name.module, name.name);
                if self.seen_safe(judgement.verdict, &global) {
                    return;
                }
                self.push(Finding {
                    verdict: judgement.verdict,
                    global: Some(global),
                    call: Some(rendered()),
                    offset,
                    reason: judgement.reason,
                });
            }
            return;
        }
        let callee = match interp.node(id).view {
            View::Object(object) => match object.class() {
                Some(class) => Some((class.module.to_owned(), class.name.into_owned())),
                None => None,
            },
            _ => self.global_name(&callable),
        };
        if let Some(global) = callable
            .node()
            .filter(|_| self.global_name(&callable).is_some())
        {
            self.called.insert(global);
        }
        match callee {
            Some((module, name)) => {
                let (module, name) = compat::py2_to_py3(&module, &name);
                let qualname = name.strip_suffix(".__new__").unwrap_or(name);
                let judgement = self.judge(module, qualname);
                let global = format!("{module}.{name}");
                if self.seen_safe(judgement.verdict, &global) {
                    return;
                }
                let reason = match rebuilt_code(interp, &self.fills, id) {
                    Some(what) => format!("{}: {what}", judgement.reason),
                    None => judgement.reason,
                };
                self.push(Finding {
                    verdict: judgement.verdict,
                    global: Some(global),
                    call: Some(rendered()),
                    offset,
                    reason,
                });
            }
            None if self
                .graph
                .get(&callable)
                .node()
                .is_some_and(|n| matches!(n, Node::Ext(_))) =>
            {
                // The extension code is its own finding.
            }
            None => {
                let reason = "calls a value computed at load time (the result of another call, \
                              an attribute, a persistent object), which no list can judge";
                let reason = match rebuilt_code(interp, &self.fills, id) {
                    Some(what) => format!("{reason}: {what}"),
                    None => reason.to_owned(),
                };
                self.push(Finding {
                    verdict: Verdict::Dangerous,
                    global: None,
                    call: Some(rendered()),
                    offset,
                    reason,
                });
            }
        }
    }

    /// What BUILD and a state setter do to a node.
    fn change(&mut self, id: NodeId, change: &Change, offset: Option<u64>) {
        match change {
            Change::Build(state) => {
                let target = Value::Node(id);
                let global = self.global_name(&target).or_else(|| {
                    self.attribute_gets
                        .contains(&id)
                        .then(|| (String::new(), render::value(self.graph, &target)))
                });
                if let Some((module, name)) = global {
                    let global = if module.is_empty() {
                        name
                    } else {
                        format!("{module}.{name}")
                    };
                    self.push(Finding {
                        verdict: Verdict::Dangerous,
                        global: Some(global.clone()),
                        call: Some(format!(
                            "{global}.__setstate__({})",
                            render::value(self.graph, state)
                        )),
                        offset,
                        reason: "BUILD on a class, function or module: sets its attributes, \
                                 rebinding names for all code that uses it"
                            .into(),
                    });
                }
            }
            Change::SetState { setter, state } => {
                let rendered = format!(
                    "{}({}, {})",
                    render::value(self.graph, setter),
                    render::value(self.graph, &Value::Node(id)),
                    render::value(self.graph, state)
                );
                match self.global_name(setter) {
                    Some((module, name)) => {
                        if let Some(global) = setter.node() {
                            self.called.insert(global);
                        }
                        let judgement = self.judge(&module, &name);
                        self.push(Finding {
                            verdict: judgement.verdict,
                            global: Some(format!("{module}.{name}")),
                            call: Some(rendered),
                            offset,
                            reason: judgement.reason,
                        });
                    }
                    None => {
                        // A computed setter is a call of a computed value, which the REDUCE
                        // that made it reports; the setter call itself is reported here.
                        self.push(Finding {
                            verdict: Verdict::Dangerous,
                            global: None,
                            call: Some(rendered),
                            offset,
                            reason: "a state setter computed at load time".into(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}
