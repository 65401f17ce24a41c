//! Loads a scikit-learn model that `joblib.dump` saved (compressed or not) and prints its
//! class and every fitted array by path, without scikit-learn, joblib or Python: nothing the
//! file names is imported or called.
//!
//! Run with `cargo run -p brine-container --example joblib_model -- FILE`, for example on
//! `fixtures/sklearn/pipeline.joblib` or `fixtures/sklearn/logistic.xz.joblib`.

use brine_container::joblib::JoblibFile;
use brine_interpret::numpy::ArrayData;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args_os().nth(1) else {
        return Err("usage: joblib_model FILE".into());
    };
    let data = std::fs::read(&path)?;
    let file = JoblibFile::open(data.into(), &Default::default())?;
    let interp = file.interpreter();
    let root = file.graph().root_value();
    match interp.estimator(root) {
        Some(model) => println!(
            "{} (scikit-learn {})",
            model.class,
            model.version.unwrap_or("?")
        ),
        None => println!("{}", interp.describe(root)),
    }
    for (name, array) in file.arrays() {
        let array = match array {
            Ok(found) => found.array,
            Err(err) => {
                println!("  {name}: {err}");
                continue;
            }
        };
        let head = match (&array.data, array.dtype.kind, array.dtype.item_size) {
            (ArrayData::Objects(items), ..) => format!("({} objects)", items.len()),
            (_, 'f', 8) => format!("{:?}", first(array.to_vec::<f64>()?)),
            (_, 'i', 8) => format!("{:?}", first(array.to_vec::<i64>()?)),
            (_, 'i', 4) => format!("{:?}", first(array.to_vec::<i32>()?)),
            _ if !array.dtype.fields.is_empty() => {
                let fields: Vec<&str> =
                    array.dtype.fields.iter().map(|f| f.name.as_str()).collect();
                format!("fields {}", fields.join(", "))
            }
            _ => String::new(),
        };
        println!(
            "  {name:<28} {:<6} {:?} {head}",
            array.dtype.to_string(),
            array.shape
        );
    }
    Ok(())
}

fn first<T>(values: Vec<T>) -> Vec<T> {
    values.into_iter().take(6).collect()
}
