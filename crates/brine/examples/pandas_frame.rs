//! Reads a pandas `DataFrame` pickle and prints its columns, index and block layout, without
//! pandas or Python: `pickle.dump(df, f)` on one side, this on the other.
//!
//! Run with `cargo run -p brine --example pandas_frame -- FILE`, for example on
//! `fixtures/pandas/pandas-2.2.3/pickles/mixed.p4.pickle`.

use brine::interpret::Interpreter;
use brine::interpret::numpy::{ArrayData, NdArray};
use brine::interpret::pandas::{Pandas, Values};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args_os().nth(1) else {
        return Err("usage: pandas_frame FILE".into());
    };
    let data = std::fs::read(&path)?;
    // `loads` refuses nothing a pickle names, and brine never imports or calls it.
    let graph = brine::loads(&data)?;
    let interp = Interpreter::new(&graph);
    let frame = match interp.pandas(graph.root_value()) {
        Some(Ok(Pandas::DataFrame(frame))) => frame,
        Some(Ok(other)) => return Err(format!("not a DataFrame but {other:?}").into()),
        Some(Err(err)) => return Err(err.into()),
        None => return Err(format!("not pandas: {}", interp.describe(graph.root_value())).into()),
    };
    println!(
        "{} rows x {} columns, index {}",
        frame.index.len(),
        frame.columns().len(),
        frame.index.class()
    );
    for column in frame.columns() {
        println!(
            "  {:<12} {:<16} {}",
            column.name.describe(&interp),
            column.values.dtype_name(),
            head(&interp, &column.values)
        );
    }
    for block in &frame.blocks {
        println!(
            "  block {} at {:?}",
            block.values.dtype_name(),
            block.placement
        );
    }
    Ok(())
}

/// The first values, as far as printing them is simple: numbers, bools and object elements.
fn head(interp: &Interpreter<'_>, values: &Values<'_>) -> String {
    let array: &NdArray<'_> = match values {
        Values::Numpy(array) | Values::Strings { data: array, .. } => array,
        Values::Masked { data, .. } => data,
        Values::Categorical(categorical) => &categorical.codes,
        _ => return String::new(),
    };
    let shown: Vec<String> = match (&array.data, array.dtype.kind, array.dtype.item_size) {
        (ArrayData::Objects(items), ..) => items
            .iter()
            .take(5)
            .map(|item| element(interp, item))
            .collect(),
        (_, 'f', 8) => floats(array.to_vec::<f64>().unwrap_or_default()),
        (_, 'i', 8) => debug(array.to_vec::<i64>().unwrap_or_default()),
        (_, 'i', 1) => debug(array.to_vec::<i8>().unwrap_or_default()),
        (_, 'b', 1) => debug(array.to_vec::<bool>().unwrap_or_default()),
        _ => return format!("({} values)", values.len()),
    };
    format!("[{}]", shown.join(", "))
}

fn element(interp: &Interpreter<'_>, item: &brine::Value) -> String {
    use brine::interpret::View;
    match interp.view(item) {
        View::Str(text) => format!("{:?}", text.to_string()),
        View::Int(n) => n.to_string(),
        View::Float(f) => f.to_string(),
        View::None => "None".to_owned(),
        other => other.describe(),
    }
}

fn floats(values: Vec<f64>) -> Vec<String> {
    values.into_iter().take(5).map(|v| v.to_string()).collect()
}

fn debug<T: std::fmt::Debug>(values: Vec<T>) -> Vec<String> {
    values
        .into_iter()
        .take(5)
        .map(|v| format!("{v:?}"))
        .collect()
}
