//! A call as Python would read it, its constant arguments spelled out:
//! `posix.system('echo pwned')`.
//!
//! Rendering stops at a budget of nodes and characters, because a graph that shares nodes
//! (DUP, memo GET) can be exponentially larger written out than it is in memory.

use brine_lex::repr;
use brine_value::{Graph, Node, Py2Value, Value};

/// The most nodes one rendering visits; the rest is written `...`.
const NODE_BUDGET: usize = 64;
/// The longest rendering, in bytes, before it is cut with `...`.
const MAX_LEN: usize = 240;
/// The longest str or bytes constant written out.
const MAX_CONSTANT: usize = 120;

/// `callable(arg, ...)`, with `name` for the callable, the items of the tuple `args` as
/// positional arguments and the pairs of `kwargs` (a dict) as keyword arguments.
///
/// # Example
///
/// ```
/// let graph = brine_vm::from_slice(b"cos\nsystem\n(S'echo pwned'\ntR.", &Default::default())?;
/// let brine_value::Node::Reduce { args, .. } = graph.root().node().unwrap() else { panic!() };
/// assert_eq!(brine_scan::render::call(&graph, "posix.system", args, None), "posix.system('echo pwned')");
/// # Ok::<(), brine_vm::Error>(())
/// ```
pub fn call(graph: &Graph, name: &str, args: &Value, kwargs: Option<&Value>) -> String {
    let mut out = Renderer {
        graph,
        out: String::new(),
        budget: NODE_BUDGET,
    };
    out.out.push_str(name);
    out.out.push('(');
    let mut first = true;
    match graph.get(args).node() {
        Some(Node::Tuple(items)) => {
            for item in items {
                out.separator(&mut first);
                out.value(item);
            }
        }
        _ => {
            out.separator(&mut first);
            out.out.push('*');
            out.value(args);
        }
    }
    if let Some(kwargs) = kwargs {
        match graph.get(kwargs).node() {
            Some(Node::Dict(pairs)) => {
                for (key, value) in pairs {
                    out.separator(&mut first);
                    match graph.get(key).as_str() {
                        Some(key) => out.out.push_str(key),
                        None => out.value(key),
                    }
                    out.out.push('=');
                    out.value(value);
                }
            }
            _ => {
                out.separator(&mut first);
                out.out.push_str("**");
                out.value(kwargs);
            }
        }
    }
    out.out.push(')');
    cut(out.out)
}

/// One value as Python would write it: constants as their repr, calls as calls, what has no
/// literal as `<kind>`.
///
/// # Example
///
/// ```
/// let graph = brine_vm::from_slice(b"\x80\x04]\x94(K\x01\x8c\x01a\x94C\x01b\x94N\x88e.", &Default::default())?;
/// assert_eq!(brine_scan::render::value(&graph, graph.root_value()), "[1, 'a', b'b', None, True]");
/// # Ok::<(), brine_vm::Error>(())
/// ```
pub fn value(graph: &Graph, value: &Value) -> String {
    let mut out = Renderer {
        graph,
        out: String::new(),
        budget: NODE_BUDGET,
    };
    out.value(value);
    cut(out.out)
}

/// The text of a global node, `module.name`, if `value` is one whose names are text.
pub fn global_name(graph: &Graph, value: &Value) -> Option<String> {
    match graph.get(value).node()? {
        Node::Global { module, name } => Some(format!(
            "{}.{}",
            graph.get(module).text()?,
            graph.get(name).text()?
        )),
        _ => None,
    }
}

struct Renderer<'g> {
    graph: &'g Graph,
    out: String,
    budget: usize,
}

impl Renderer<'_> {
    fn separator(&mut self, first: &mut bool) {
        if !*first {
            self.out.push_str(", ");
        }
        *first = false;
    }

    fn value(&mut self, value: &Value) {
        if self.budget == 0 || self.out.len() > MAX_LEN {
            self.out.push_str("...");
            return;
        }
        self.budget -= 1;
        let graph = self.graph;
        match *value {
            Value::None => self.out.push_str("None"),
            Value::Bool(true) => self.out.push_str("True"),
            Value::Bool(false) => self.out.push_str("False"),
            Value::Int(int) => self.out.push_str(&int.to_string()),
            Value::BigInt(id) => match graph.try_bigint(id) {
                Some(int) => self.out.push_str(&int.to_string()),
                None => self.out.push_str("<int>"),
            },
            Value::Float(float) => self.out.push_str(&repr::float_repr(float)),
            Value::Node(id) => match graph.try_node(id) {
                Some(node) => self.node(node),
                None => self.out.push_str("<missing>"),
            },
        }
    }

    fn node(&mut self, node: &Node) {
        let graph = self.graph;
        match node {
            Node::Str(text) => {
                let bytes = text.as_bytes();
                self.constant(
                    repr::str_repr(&bytes[..floor(bytes, MAX_CONSTANT)]),
                    bytes.len(),
                );
            }
            // A Python 2 str is read as Python 3 reads it: text under the loader's encoding.
            Node::Py2Str(data) => match graph.py2_text().decode(data) {
                Ok(Py2Value::Str(text)) => {
                    let bytes = text.as_bytes();
                    self.constant(
                        repr::str_repr(&bytes[..floor(bytes, MAX_CONSTANT)]),
                        bytes.len(),
                    );
                }
                _ => {
                    let shown = &data[..data.len().min(MAX_CONSTANT)];
                    self.constant(repr::bytes_repr(shown), data.len());
                }
            },
            Node::Bytes(data) => {
                let shown = &data[..data.len().min(MAX_CONSTANT)];
                self.constant(repr::bytes_repr(shown), data.len());
            }
            Node::ByteArray(data) => {
                let shown = &data[..data.len().min(MAX_CONSTANT)];
                self.out.push_str("bytearray(");
                self.constant(repr::bytes_repr(shown), data.len());
                self.out.push(')');
            }
            Node::Tuple(items) => {
                self.out.push('(');
                self.items(items);
                if items.len() == 1 {
                    self.out.push(',');
                }
                self.out.push(')');
            }
            Node::List(items) => {
                self.out.push('[');
                self.items(items);
                self.out.push(']');
            }
            Node::Set(items) | Node::FrozenSet(items) => {
                self.out.push('{');
                self.items(items);
                self.out.push('}');
            }
            Node::Dict(pairs) => {
                self.out.push('{');
                let mut first = true;
                for (key, value) in pairs {
                    self.separator(&mut first);
                    self.value(key);
                    self.out.push_str(": ");
                    self.value(value);
                    if self.out.len() > MAX_LEN {
                        break;
                    }
                }
                self.out.push('}');
            }
            Node::Global { module, name } => {
                match (graph.get(module).text(), graph.get(name).text()) {
                    (Some(module), Some(name)) => {
                        self.out.push_str(&module);
                        self.out.push('.');
                        self.out.push_str(&name);
                    }
                    _ => self.out.push_str("<global>"),
                }
            }
            Node::Ext(code) => self.out.push_str(&format!("<extension code {code}>")),
            Node::Reduce { callable, args } => {
                self.value(callable);
                self.arguments(args, None);
            }
            Node::NewObj { cls, args, kwargs } => {
                self.value(cls);
                self.out.push_str(".__new__");
                self.arguments(args, kwargs.as_ref());
            }
            Node::Inst { class, args } | Node::Obj { class, args } => {
                self.value(class);
                self.out.push('(');
                self.items(args);
                self.out.push(')');
            }
            Node::PersistentId(pid) => {
                self.out.push_str("persistent_load(");
                self.value(pid);
                self.out.push(')');
            }
            Node::Buffer(_) => self.out.push_str("<buffer>"),
            _ => self.out.push_str("<object>"),
        }
    }

    fn arguments(&mut self, args: &Value, kwargs: Option<&Value>) {
        let graph = self.graph;
        self.out.push('(');
        match graph.get(args).node() {
            Some(Node::Tuple(items)) => self.items(items),
            _ => {
                self.out.push('*');
                self.value(args);
            }
        }
        if let Some(kwargs) = kwargs {
            self.out.push_str(", **");
            self.value(kwargs);
        }
        self.out.push(')');
    }

    fn items(&mut self, items: &[Value]) {
        let mut first = true;
        for item in items {
            self.separator(&mut first);
            self.value(item);
            if self.out.len() > MAX_LEN {
                self.out.push_str(", ...");
                break;
            }
        }
    }

    fn constant(&mut self, repr: String, len: usize) {
        self.out.push_str(&repr);
        if len > MAX_CONSTANT {
            self.out.push_str(&format!("[...{len} bytes]"));
        }
    }
}

/// The longest prefix of `bytes` of at most `max` bytes that ends on a character boundary of
/// surrogatepass UTF-8 (whose lead bytes are never continuation bytes).
fn floor(bytes: &[u8], max: usize) -> usize {
    if bytes.len() <= max {
        return bytes.len();
    }
    let mut end = max;
    while end > 0 && bytes[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    end
}

/// Cuts a rendering that ran past [`MAX_LEN`] on a character boundary.
fn cut(mut text: String) -> String {
    if text.len() > MAX_LEN + 40 {
        let mut end = MAX_LEN + 40;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pickle: &[u8], expect: &str) {
        let graph = brine_vm::from_slice(pickle, &Default::default()).expect("loads");
        assert_eq!(value(&graph, graph.root_value()), expect);
    }

    #[test]
    fn constants_and_calls() {
        check(
            b"cos\nsystem\n(S'echo pwned'\ntR.",
            "os.system('echo pwned')",
        );
        check(b"\x80\x02K\x01\x85.", "(1,)");
        check(
            b"\x80\x02}q\x00(K\x01G?\xf8\x00\x00\x00\x00\x00\x00u.",
            "{1: 1.5}",
        );
        check(
            b"cbuiltins\neval\n(cbuiltins\ncompile\n(S'1'\nS'<s>'\nS'eval'\ntRtR.",
            "builtins.eval(builtins.compile('1', '<s>', 'eval'))",
        );
    }

    #[test]
    fn a_shared_subgraph_stays_within_the_budget() {
        // ((((x, x), (x, x)), ...)) written with DUP: 2^40 leaves, 40 nodes.
        let mut pickle = b"\x80\x02X\x01\x00\x00\x00x".to_vec();
        for _ in 0..40 {
            pickle.extend_from_slice(b"2\x86");
        }
        pickle.push(b'.');
        check_len(&pickle);
    }

    fn check_len(pickle: &[u8]) {
        let graph = brine_vm::from_slice(pickle, &Default::default()).expect("loads");
        let text = value(&graph, graph.root_value());
        assert!(text.len() <= MAX_LEN + 43, "{}", text.len());
        assert!(text.ends_with("..."));
    }
}
