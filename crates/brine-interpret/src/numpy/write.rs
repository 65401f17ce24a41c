//! Writing an array back: the graph of what numpy's `ndarray.__reduce_ex__` returns, for
//! brine-encode to pickle as CPython's pickler pickles numpy's own reduction.

use brine_value::{Change, Graph, Node, PickleBuffer, Value};

use super::{ArrayData, ArrayError, ByteOrder, NdArray};

/// Which numpy names the reduction's functions are under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NumpyNames {
    /// numpy 2.x: `numpy._core.multiarray._reconstruct`, `numpy._core.numeric._frombuffer`.
    /// numpy 1.x cannot load these.
    #[default]
    Numpy2,
    /// numpy 1.x: `numpy.core.multiarray._reconstruct`, `numpy.core.numeric._frombuffer`,
    /// which numpy 2.x loads too (through its `numpy.core` shim).
    Numpy1,
}

/// The form an array is written in: what `ndarray.__reduce_ex__(protocol)` gives.
///
/// # Example
///
/// ```
/// use brine_interpret::numpy::{NdArray, PickleForm};
///
/// let array = NdArray::from_slice(&[0i16, 1, 2], &[3])?;
/// let graph = array.to_graph(&PickleForm::numpy(2))?;
/// let pickle = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(2)).unwrap();
/// // numpy.arange(3, dtype='<i2').dumps() at protocol 2, as numpy 2.1 writes it.
/// assert_eq!(pickle, b"\x80\x02cnumpy._core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x03\x85q\x0acnumpy\ndtype\nq\x0bX\x02\x00\x00\x00i2q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10b\x89h\x03X\x06\x00\x00\x00\x00\x00\x01\x00\x02\x00q\x11h\x05\x86q\x12Rq\x13tq\x14b.");
/// # Ok::<(), brine_interpret::numpy::ArrayError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PickleForm {
    /// The numpy release whose names are written.
    pub names: NumpyNames,
    /// `_frombuffer(PickleBuffer(array), dtype, shape, order)`, which numpy writes from
    /// protocol 5 (the graph then needs protocol 5), rather than `_reconstruct` and BUILD.
    pub frombuffer: bool,
    /// With `frombuffer`: the data as an out-of-band buffer (NEXT_BUFFER, handed to the
    /// encoder's `buffer_callback`), rather than in band (BYTEARRAY8).
    pub out_of_band: bool,
}

impl PickleForm {
    /// What numpy 2.x writes at `protocol`: `_frombuffer` with the data in band from
    /// protocol 5, `_reconstruct` below it.
    pub fn numpy(protocol: u8) -> PickleForm {
        PickleForm {
            names: NumpyNames::Numpy2,
            frombuffer: protocol >= 5,
            out_of_band: false,
        }
    }

    /// The same form with numpy 1.x names.
    pub fn numpy1(self) -> PickleForm {
        PickleForm {
            names: NumpyNames::Numpy1,
            ..self
        }
    }

    /// The same form with the data out of band (from protocol 5).
    pub fn out_of_band(self) -> PickleForm {
        PickleForm {
            out_of_band: true,
            ..self
        }
    }

    fn core(self) -> &'static str {
        match self.names {
            NumpyNames::Numpy2 => "numpy._core",
            NumpyNames::Numpy1 => "numpy.core",
        }
    }
}

impl NdArray<'_> {
    /// The graph numpy's reduction of this array gives the pickler, in `form`: encoded with
    /// `brine_encode` at protocol P with `PickleForm::numpy(P)`, it is the pickle
    /// `pickle.dumps(array, protocol=P)` writes, byte for byte.
    ///
    /// # Errors
    ///
    /// [`ArrayError::Unwritable`] for an array whose items are not plain numbers or bools
    /// (objects, strings, datetimes, structures), which need numpy's full dtype state.
    pub fn to_graph(&self, form: &PickleForm) -> Result<Graph, ArrayError> {
        let ArrayData::Bytes(data) = &self.data else {
            return Err(ArrayError::Unwritable("it holds Python objects".into()));
        };
        if !(self.dtype.is_plain()
            && self.dtype.time_unit.is_none()
            && "biufc".contains(self.dtype.kind))
        {
            return Err(ArrayError::Unwritable(format!(
                "dtype {} is not a plain number or bool",
                self.dtype
            )));
        }
        let mut graph = Graph::new();
        // One `numpy` str for every global in it: CPython's pickler memoizes the interned
        // module name once, and protocol 4 writes it again as a memo GET.
        let numpy = graph.add_str("numpy");
        let core = form.core();
        let shape: Vec<Value> = self
            .shape
            .iter()
            .map(|&dim| i64::try_from(dim).map(Value::Int))
            .collect::<Result<_, _>>()
            .map_err(|_| ArrayError::Unwritable("a dimension beyond i64".into()))?;
        let root = if form.frombuffer {
            let frombuffer = global(&mut graph, &format!("{core}.numeric"), "_frombuffer");
            let buffer = if form.out_of_band {
                Node::Buffer(Box::new(PickleBuffer {
                    index: 0,
                    readonly: false,
                    data: Some(data.clone()),
                }))
            } else {
                // A writable PickleBuffer in band is a bytearray (BYTEARRAY8).
                Node::ByteArray(data.clone())
            };
            let buffer = Value::Node(graph.add(buffer));
            let dtype = dtype(&mut graph, numpy, self);
            let shape = Value::Node(graph.add(Node::Tuple(shape)));
            let order = graph.add_str(if self.fortran_order { "F" } else { "C" });
            let args = Value::Node(graph.add(Node::Tuple(vec![buffer, dtype, shape, order])));
            graph.add(Node::Reduce {
                callable: frombuffer,
                args,
            })
        } else {
            let reconstruct = global(&mut graph, &format!("{core}.multiarray"), "_reconstruct");
            let ndarray = named(&mut graph, numpy, "ndarray");
            let zero = Value::Node(graph.add(Node::Tuple(vec![Value::Int(0)])));
            let typecode = Value::Node(graph.add(Node::Bytes(bytes::Bytes::from_static(b"b"))));
            let args = Value::Node(graph.add(Node::Tuple(vec![ndarray, zero, typecode])));
            let array = graph.add(Node::Reduce {
                callable: reconstruct,
                args,
            });
            let shape = Value::Node(graph.add(Node::Tuple(shape)));
            let dtype = dtype(&mut graph, numpy, self);
            let data = Value::Node(graph.add(Node::Bytes(data.clone())));
            let state = vec![
                Value::Int(1),
                shape,
                dtype,
                Value::Bool(self.fortran_order),
                data,
            ];
            let state = Value::Node(graph.add(Node::Tuple(state)));
            graph.push_change(array, Change::Build(state));
            array
        };
        graph.set_root(Value::Node(root));
        Ok(graph)
    }
}

fn global(graph: &mut Graph, module: &str, name: &str) -> Value {
    let module = graph.add_str(module);
    named(graph, module, name)
}

fn named(graph: &mut Graph, module: Value, name: &str) -> Value {
    let name = graph.add_str(name);
    Value::Node(graph.add(Node::Global { module, name }))
}

/// `numpy.dtype('f8', False, True)` with the state numpy's `dtype.__reduce__` gives a
/// built-in number type: `(3, order, None, None, None, -1, -1, 0)`.
fn dtype(graph: &mut Graph, numpy: Value, array: &NdArray<'_>) -> Value {
    let class = named(graph, numpy, "dtype");
    let spec = graph.add_str(&format!("{}{}", array.dtype.kind, array.dtype.item_size));
    let args = Value::Node(graph.add(Node::Tuple(vec![
        spec,
        Value::Bool(false),
        Value::Bool(true),
    ])));
    let dtype = graph.add(Node::Reduce {
        callable: class,
        args,
    });
    let order = graph.add_str(match array.dtype.byte_order {
        ByteOrder::Little => "<",
        ByteOrder::Big => ">",
        ByteOrder::NotApplicable => "|",
    });
    let state = vec![
        Value::Int(3),
        order,
        Value::None,
        Value::None,
        Value::None,
        Value::Int(-1),
        Value::Int(-1),
        Value::Int(0),
    ];
    let state = Value::Node(graph.add(Node::Tuple(state)));
    graph.push_change(dtype, Change::Build(state));
    Value::Node(dtype)
}
