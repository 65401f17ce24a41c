//! Feature `ndarray`: an [`NdArray`] as an `ndarray` array, borrowed in place or converted.

use bytemuck::CheckedBitPattern;
use ndarray::{ArrayD, ArrayViewD, IxDyn, ShapeBuilder};

use super::{ArrayError, Element, NdArray, malformed};

impl NdArray<'_> {
    /// The array as an `ndarray` view of its bytes, nothing copied: C order, or Fortran
    /// order when [`NdArray::fortran_order`].
    ///
    /// # Errors
    ///
    /// [`ArrayError::NotInPlace`] when the bytes cannot be read in place as `T`: they are not
    /// aligned for `T` (a pickle's payload starts wherever the opcodes before it end), or not
    /// in this machine's byte order, or a bool is neither 0 nor 1. [`NdArray::to_array`]
    /// converts instead. [`ArrayError::Malformed`] when `T` is not the array's element type,
    /// or the array holds objects.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::numpy::NdArray;
    ///
    /// let array = NdArray::from_slice(&[1.5f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    /// // A payload of one f64 is aligned wherever the allocator put it, which is 8-aligned.
    /// let view = array.view::<f64>()?;
    /// assert_eq!(view.shape(), [2, 3]);
    /// assert_eq!(view[[1, 0]], 4.0);
    /// # Ok::<(), brine_interpret::numpy::ArrayError>(())
    /// ```
    pub fn view<T: Element + CheckedBitPattern>(&self) -> Result<ArrayViewD<'_, T>, ArrayError> {
        let bytes = self.typed_bytes::<T>()?;
        if !self.dtype.is_native_order() {
            return Err(ArrayError::NotInPlace(format!(
                "a {} array is not in this machine's byte order",
                self.dtype
            )));
        }
        let items: &[T] = bytemuck::checked::try_cast_slice(bytes).map_err(|err| {
            ArrayError::NotInPlace(match err {
                bytemuck::checked::CheckedCastError::PodCastError(
                    bytemuck::PodCastError::TargetAlignmentGreaterAndInputNotAligned,
                ) => format!(
                    "the data is not aligned for {} ({} bytes)",
                    T::NAME,
                    align_of::<T>()
                ),
                bytemuck::checked::CheckedCastError::InvalidBitPattern => {
                    format!("an item is not a valid {}", T::NAME)
                }
                other => format!("the data cannot be read as {}: {other}", T::NAME),
            })
        })?;
        ArrayViewD::from_shape(self.nd_shape()?.set_f(self.fortran_order), items)
            .map_err(|err| ArrayError::Malformed(format!("the shape: {err}")))
    }

    /// The array as an owned `ndarray` array of `T`, converted from its byte order and copied
    /// out of unaligned bytes; the same order as [`NdArray::view`].
    ///
    /// # Errors
    ///
    /// When `T` is not the array's element type, or the array holds objects.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::numpy::NdArray;
    ///
    /// let array = NdArray::from_slice(&[1i16, 2, 3, 4], &[2, 2])?;
    /// assert_eq!(array.to_array::<i16>()?, ndarray::arr2(&[[1i16, 2], [3, 4]]).into_dyn());
    /// # Ok::<(), brine_interpret::numpy::ArrayError>(())
    /// ```
    pub fn to_array<T: Element>(&self) -> Result<ArrayD<T>, ArrayError> {
        let items = self.to_vec::<T>()?;
        ArrayD::from_shape_vec(self.nd_shape()?.set_f(self.fortran_order), items)
            .map_err(|err| ArrayError::Malformed(format!("the shape: {err}")))
    }

    fn nd_shape(&self) -> Result<IxDyn, ArrayError> {
        let dims = self
            .shape
            .iter()
            .map(|&dim| usize::try_from(dim))
            .collect::<Result<Vec<usize>, _>>()
            .or_else(|_| malformed("a dimension does not fit in usize"))?;
        Ok(IxDyn(&dims))
    }
}

impl NdArray<'static> {
    /// An array holding a copy of `array`'s elements, little-endian: in C order, or in
    /// Fortran order when `array` is laid out so (as numpy pickles either), else gathered in
    /// C order.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::numpy::NdArray;
    ///
    /// let fortran = ndarray::Array2::<f32>::zeros((2, 3).f());
    /// # use ndarray::ShapeBuilder;
    /// let array = NdArray::from_ndarray(&fortran.view().into_dyn());
    /// assert!(array.fortran_order);
    /// assert_eq!(array.shape, [2, 3]);
    /// ```
    pub fn from_ndarray<T: Element>(array: &ArrayViewD<'_, T>) -> NdArray<'static> {
        let shape: Vec<u64> = array.shape().iter().map(|&dim| dim as u64).collect();
        let fortran_order =
            array.ndim() > 1 && !array.is_standard_layout() && array.t().is_standard_layout();
        let mut out = Vec::with_capacity(array.len() * size_of::<T>());
        if fortran_order {
            array.t().iter().for_each(|item| item.extend_le(&mut out));
        } else {
            array.iter().for_each(|item| item.extend_le(&mut out));
        }
        NdArray {
            dtype: T::dtype(),
            shape,
            fortran_order,
            data: super::ArrayData::Bytes(out.into()),
        }
    }
}
