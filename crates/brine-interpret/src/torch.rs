//! PyTorch tensors as typed data: what `torch.save` writes in its pickle, read without torch.
//!
//! `torch.save` pickles each tensor as `torch._utils._rebuild_tensor_v2(storage,
//! storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`, an
//! `nn.Parameter` as `torch._utils._rebuild_parameter(tensor, requires_grad, backward_hooks)`,
//! and each storage as a persistent id `('storage', storage_type, key, location, numel)`
//! (`torch/serialization.py`, `_save` and `_legacy_save`). The storage's bytes live outside the
//! pickle: a zip member `<prefix>/data/<key>`, or after the pickles in the legacy formats; a
//! reader of the container looks them up by [`Tensor::storage_key`].
//!
//! Nothing here imports torch or runs anything: the names are compared.

use std::fmt;

use brine_value::Value;

use crate::view::{Interpreter, View};

/// The element type of a tensor, named as torch names it (`torch.float32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TorchDType {
    /// `torch.float64`.
    Float64,
    /// `torch.float32`.
    Float32,
    /// `torch.float16`.
    Float16,
    /// `torch.bfloat16`.
    BFloat16,
    /// `torch.int64`.
    Int64,
    /// `torch.int32`.
    Int32,
    /// `torch.int16`.
    Int16,
    /// `torch.int8`.
    Int8,
    /// `torch.uint8`.
    UInt8,
    /// `torch.bool`.
    Bool,
    /// `torch.complex64`.
    Complex64,
    /// `torch.complex128`.
    Complex128,
    /// `torch.qint8`, `quint8`, `qint32`, `quint4x2`, `quint2x4`: quantized storage, read as
    /// raw bytes of the given element size.
    Quantized(u8),
    /// An `UntypedStorage`: bytes whose type the tensor does not say.
    Untyped,
}

impl TorchDType {
    /// The type a storage class stands for (`torch/storage.py`, the typed storage classes).
    pub fn from_storage_class(class: &str) -> Option<TorchDType> {
        Some(match class {
            "DoubleStorage" => TorchDType::Float64,
            "FloatStorage" => TorchDType::Float32,
            "HalfStorage" => TorchDType::Float16,
            "BFloat16Storage" => TorchDType::BFloat16,
            "LongStorage" => TorchDType::Int64,
            "IntStorage" => TorchDType::Int32,
            "ShortStorage" => TorchDType::Int16,
            "CharStorage" => TorchDType::Int8,
            "ByteStorage" => TorchDType::UInt8,
            "BoolStorage" => TorchDType::Bool,
            "ComplexFloatStorage" => TorchDType::Complex64,
            "ComplexDoubleStorage" => TorchDType::Complex128,
            "QInt32Storage" => TorchDType::Quantized(4),
            "QInt8Storage" | "QUInt8Storage" | "QUInt4x2Storage" | "QUInt2x4Storage" => {
                TorchDType::Quantized(1)
            }
            "UntypedStorage" => TorchDType::Untyped,
            _ => return None,
        })
    }

    /// The size of one element in bytes (`torch.dtype.itemsize`; 1 for untyped bytes).
    pub fn element_size(self) -> u64 {
        match self {
            TorchDType::Complex128 => 16,
            TorchDType::Float64 | TorchDType::Int64 | TorchDType::Complex64 => 8,
            TorchDType::Float32 | TorchDType::Int32 => 4,
            TorchDType::Float16 | TorchDType::BFloat16 | TorchDType::Int16 => 2,
            TorchDType::Int8 | TorchDType::UInt8 | TorchDType::Bool | TorchDType::Untyped => 1,
            TorchDType::Quantized(size) => u64::from(size),
        }
    }
}

impl fmt::Display for TorchDType {
    /// torch's name: `torch.float32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            TorchDType::Float64 => "float64",
            TorchDType::Float32 => "float32",
            TorchDType::Float16 => "float16",
            TorchDType::BFloat16 => "bfloat16",
            TorchDType::Int64 => "int64",
            TorchDType::Int32 => "int32",
            TorchDType::Int16 => "int16",
            TorchDType::Int8 => "int8",
            TorchDType::UInt8 => "uint8",
            TorchDType::Bool => "bool",
            TorchDType::Complex64 => "complex64",
            TorchDType::Complex128 => "complex128",
            TorchDType::Quantized(_) => "quantized",
            TorchDType::Untyped => "untyped",
        };
        write!(f, "torch.{name}")
    }
}

/// A tensor as `torch.save` pickles it: a view into a storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor<'g> {
    /// The element type, from the storage's class.
    pub dtype: TorchDType,
    /// The storage's key: the name of its bytes in the container (`data/<key>` in a zip).
    pub storage_key: &'g str,
    /// Where the storage lived when saved (`"cpu"`, `"cuda:0"`).
    pub location: &'g str,
    /// The storage's length in elements.
    pub storage_len: u64,
    /// The offset of the tensor's first element in the storage, in elements.
    pub offset: u64,
    /// The length of each dimension.
    pub shape: Vec<u64>,
    /// The step of each dimension, in elements.
    pub stride: Vec<u64>,
    /// Whether it was saved as an `nn.Parameter` or with `requires_grad`.
    pub requires_grad: bool,
}

impl Tensor<'_> {
    /// The number of elements.
    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the elements are laid out contiguously in C order, so that the tensor's bytes
    /// are one slice of its storage.
    pub fn is_contiguous(&self) -> bool {
        let mut step = 1;
        for (&dim, &stride) in self.shape.iter().zip(&self.stride).rev() {
            if dim != 1 && stride != step {
                return false;
            }
            step *= dim;
        }
        true
    }

    /// The byte range of a contiguous tensor in its storage; `None` when it is not
    /// contiguous or does not fit in the storage.
    pub fn byte_range(&self) -> Option<std::ops::Range<u64>> {
        if !self.is_contiguous() {
            return None;
        }
        let size = self.dtype.element_size();
        let start = self.offset.checked_mul(size)?;
        let end = self.offset.checked_add(self.len())?;
        (end <= self.storage_len).then_some(start..end.checked_mul(size)?)
    }
}

/// Why a value that names torch's tensor rebuilders is not a tensor brine can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorError(pub String);

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a tensor as torch.save writes one: {}", self.0)
    }
}

impl std::error::Error for TensorError {}

fn malformed<T>(what: impl Into<String>) -> Result<T, TensorError> {
    Err(TensorError(what.into()))
}

/// How deep [`Interpreter::tensors`] follows nested containers.
const MAX_NESTING: usize = 64;

impl<'g> Interpreter<'g> {
    /// `value` as a tensor: `None` when it is not a call of `torch._utils._rebuild_tensor_v2`
    /// (or `_rebuild_tensor`, or `_rebuild_parameter` around one), an error when it is but
    /// not as torch writes it.
    pub fn tensor(&self, value: &Value) -> Option<Result<Tensor<'g>, TensorError>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        let callable = object.class()?;
        if callable.module != "torch._utils" {
            return None;
        }
        match &*callable.name {
            "_rebuild_parameter" | "_rebuild_parameter_with_state" => {
                let inner = object.args.first()?;
                let tensor = self.tensor(inner)?;
                Some(tensor.map(|mut tensor| {
                    tensor.requires_grad = object
                        .args
                        .get(1)
                        .is_some_and(|flag| matches!(self.view(flag), View::Bool(true)));
                    tensor
                }))
            }
            "_rebuild_tensor_v2" | "_rebuild_tensor" => Some(self.rebuilt(object.args)),
            _ => None,
        }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, ...)`.
    fn rebuilt(&self, args: &'g [Value]) -> Result<Tensor<'g>, TensorError> {
        let [storage, offset, size, stride, rest @ ..] = args else {
            return malformed(format!("{} arguments, not 4 or more", args.len()));
        };
        let View::PersistentId(pid) = self.view(storage) else {
            return malformed(format!("the storage is a {}", self.describe(storage)));
        };
        let View::Tuple(pid) = self.view(&pid) else {
            return malformed("the storage's persistent id is not a tuple");
        };
        let [kind, class, key, location, numel, ..] = pid else {
            return malformed("the storage's persistent id has fewer than 5 items");
        };
        if self.graph().get(kind).text().as_deref() != Some("storage") {
            return malformed("the persistent id is not a 'storage'");
        }
        let View::Global(class) = self.view(class) else {
            return malformed("the storage type is not a global");
        };
        let Some(dtype) = TorchDType::from_storage_class(&class.name)
            .filter(|_| class.module == "torch" || class.module == "torch.storage")
        else {
            return malformed(format!("unknown storage type {class}"));
        };
        let (Some(storage_key), Some(location)) = (self.str_at(key), self.str_at(location)) else {
            return malformed("the storage key or location is not a str");
        };
        Ok(Tensor {
            dtype,
            storage_key,
            location,
            storage_len: self.count(numel)?,
            offset: self.count(offset)?,
            shape: self.counts(size)?,
            stride: self.counts(stride)?,
            requires_grad: rest
                .first()
                .is_some_and(|flag| matches!(self.view(flag), View::Bool(true))),
        })
    }

    fn count(&self, value: &Value) -> Result<u64, TensorError> {
        match self.view(value) {
            View::Int(n) if n >= 0 => Ok(n as u64),
            other => malformed(format!("{} where a count belongs", other.describe())),
        }
    }

    fn counts(&self, value: &Value) -> Result<Vec<u64>, TensorError> {
        match self.view(value) {
            View::Tuple(items) => items.iter().map(|item| self.count(item)).collect(),
            other => malformed(format!(
                "{} where a tuple of counts belongs",
                other.describe()
            )),
        }
    }

    /// Every tensor reachable from `value` through dicts, OrderedDicts, lists and tuples,
    /// named as a state dict names them: keys joined by `.`, list positions as numbers
    /// (`{'model': {'linear.weight': t}}` gives `model.linear.weight`), in pickle order.
    /// Values that are neither containers nor tensors are passed over; a tensor written
    /// wrongly is listed with its error.
    pub fn tensors(&self, value: &'g Value) -> Vec<(String, Result<Tensor<'g>, TensorError>)> {
        self.tensors_with(value, &|_| None)
    }

    /// [`Interpreter::tensors`], where a persistent id may stand for a tensor too: `resolve`
    /// is given each persistent id's value (the object `persistent_id` returned when saving)
    /// and says which tensor it names, if any. torch < 0.4's tar format pickles each tensor
    /// as the persistent id `str(key)` of a record outside the pickle; its reader is
    /// brine-container's `Checkpoint::tensors`.
    pub fn tensors_with(
        &self,
        value: &'g Value,
        resolve: &dyn Fn(&Value) -> Option<Result<Tensor<'g>, TensorError>>,
    ) -> Vec<(String, Result<Tensor<'g>, TensorError>)> {
        let mut out = Vec::new();
        let mut stack: Vec<(String, &'g Value, usize)> = Vec::new();
        stack.push((String::new(), value, 0));
        while let Some((name, value, depth)) = stack.pop() {
            if let Some(tensor) = self.tensor(value) {
                out.push((name, tensor));
                continue;
            }
            if let View::PersistentId(pid) = self.view(value) {
                if let Some(tensor) = resolve(&pid) {
                    out.push((name, tensor));
                }
                continue;
            }
            if depth >= MAX_NESTING {
                continue;
            }
            let join = |child: String| {
                if name.is_empty() {
                    child
                } else {
                    format!("{name}.{child}")
                }
            };
            let mut children: Vec<(String, &'g Value, usize)> = Vec::new();
            match self.view(value) {
                View::Dict(pairs) | View::OrderedDict(pairs) => {
                    for (key, child) in pairs.iter() {
                        let key = match self.view(key) {
                            View::Int(n) => n.to_string(),
                            _ => match self.graph().get(key).text() {
                                Some(text) => text.into_owned(),
                                None => continue,
                            },
                        };
                        children.push((join(key), child, depth + 1));
                    }
                }
                View::List(items) => {
                    for (i, child) in items.iter().enumerate() {
                        children.push((join(i.to_string()), child, depth + 1));
                    }
                }
                View::Tuple(items) => {
                    for (i, child) in items.iter().enumerate() {
                        children.push((join(i.to_string()), child, depth + 1));
                    }
                }
                _ => {}
            }
            // Depth first, in pickle order.
            stack.extend(children.into_iter().rev());
        }
        out
    }
}
