//! From the flatbuffer to a [`Model`], checking every index and size
//! against what it refers to. Field numbers are those of TFLite's
//! `schema.fbs` (a union takes two: its type, then its value).

use super::TfliteError;
use super::flatbuffer::{Buffer, Table, WireError};
use super::model::*;
use crate::quant::Padding;

/// Each byte of the file may be read this many times over (shared strings
/// and vectors); past that the file is refused.
const READ_FACTOR: usize = 8;

mod field {
    pub(super) mod model {
        pub const VERSION: usize = 0;
        pub const OPERATOR_CODES: usize = 1;
        pub const SUBGRAPHS: usize = 2;
        pub const DESCRIPTION: usize = 3;
        pub const BUFFERS: usize = 4;
    }
    pub(super) mod operator_code {
        pub const DEPRECATED_BUILTIN_CODE: usize = 0;
        pub const CUSTOM_CODE: usize = 1;
        pub const VERSION: usize = 2;
        pub const BUILTIN_CODE: usize = 3;
    }
    pub(super) mod subgraph {
        pub const TENSORS: usize = 0;
        pub const INPUTS: usize = 1;
        pub const OUTPUTS: usize = 2;
        pub const OPERATORS: usize = 3;
        pub const NAME: usize = 4;
    }
    pub(super) mod tensor {
        pub const SHAPE: usize = 0;
        pub const TYPE: usize = 1;
        pub const BUFFER: usize = 2;
        pub const NAME: usize = 3;
        pub const QUANTIZATION: usize = 4;
        pub const IS_VARIABLE: usize = 5;
        pub const SPARSITY: usize = 6;
    }
    pub(super) mod quantization {
        pub const SCALE: usize = 2;
        pub const ZERO_POINT: usize = 3;
        pub const DETAILS_TYPE: usize = 4;
        pub const QUANTIZED_DIMENSION: usize = 6;
    }
    pub(super) mod operator {
        pub const OPCODE_INDEX: usize = 0;
        pub const INPUTS: usize = 1;
        pub const OUTPUTS: usize = 2;
        pub const BUILTIN_OPTIONS_TYPE: usize = 3;
        pub const BUILTIN_OPTIONS: usize = 4;
    }
    pub(super) mod buffer {
        pub const DATA: usize = 0;
        pub const OFFSET: usize = 1;
        pub const SIZE: usize = 2;
    }
}

/// The `BuiltinOptions` union's type codes read here.
mod options_type {
    pub const NONE: u8 = 0;
    pub const CONV_2D: u8 = 1;
    pub const DEPTHWISE_CONV_2D: u8 = 2;
    pub const POOL_2D: u8 = 5;
    pub const FULLY_CONNECTED: u8 = 8;
    pub const SOFTMAX: u8 = 9;
    pub const ADD: u8 = 11;
    pub const RESHAPE: u8 = 17;
    pub const DEQUANTIZE: u8 = 38;
    pub const QUANTIZE: u8 = 89;
}

/// A wire error at `location`.
fn wire(location: &str) -> impl Fn(WireError) -> TfliteError + '_ {
    move |e| TfliteError::invalid(location, e.to_string())
}

/// Reads a `.tflite` flatbuffer. Every offset, vtable, vector length and
/// index is checked; a malformed file is an error naming what is wrong
/// (never a panic), and nothing is allocated that the file's size does not
/// bound.
///
/// ```no_run
/// let bytes = std::fs::read("model.tflite")?;
/// let model = typenet::io::tflite::read(&bytes)?;
/// for op in &model.subgraphs[0].operators {
///     println!("{} {:?} -> {:?}", op.builtin, op.inputs, op.outputs);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read(bytes: &[u8]) -> Result<Model<'_>, TfliteError> {
    if bytes.len() < 8 {
        return Err(TfliteError::invalid(
            "",
            format!("{} bytes is too short for a flatbuffer", bytes.len()),
        ));
    }
    if &bytes[4..8] != b"TFL3" {
        return Err(TfliteError::invalid("", "no TFL3 file identifier: not a TFLite model"));
    }
    let buffer = Buffer::new(bytes, READ_FACTOR);
    let root = buffer.root().map_err(wire("model"))?;
    let at = |what: &'static str| wire(what);
    let version = root.u32(field::model::VERSION, 0).map_err(at("model version"))?;
    let description = root
        .string(field::model::DESCRIPTION)
        .map_err(at("model description"))?;

    let buffers = buffers(&buffer, &root)?;
    let operator_codes = operator_codes(&root)?;
    let list = root.tables(field::model::SUBGRAPHS).map_err(at("subgraphs"))?;
    let mut subgraphs = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let location = format!("subgraph {i}");
        let table = list.table(i).map_err(wire(&location))?;
        subgraphs.push(subgraph(&table, &operator_codes, &buffers).map_err(|e| e.within(&location))?);
    }
    if subgraphs.is_empty() {
        return Err(TfliteError::invalid("model", "no subgraph"));
    }
    Ok(Model {
        version,
        description,
        operator_codes,
        subgraphs,
        buffers,
    })
}

fn buffers<'a>(file: &Buffer<'a>, root: &Table<'_, 'a>) -> Result<Vec<&'a [u8]>, TfliteError> {
    let list = root.tables(field::model::BUFFERS).map_err(wire("buffers"))?;
    let mut buffers = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let location = format!("buffer {i}");
        let at = wire(&location);
        let table = list.table(i).map_err(&at)?;
        let data = table.bytes(field::buffer::DATA).map_err(&at)?;
        let offset = table.u64(field::buffer::OFFSET, 0).map_err(&at)?;
        let size = table.u64(field::buffer::SIZE, 0).map_err(&at)?;
        // Models over 2 GB keep data after the flatbuffer, by offset from
        // the file's start (1 marks "none" in TFLite's writer).
        let data = if offset > 1 {
            if !data.is_empty() {
                return Err(TfliteError::invalid(
                    location.as_str(),
                    "has both inline data and an offset",
                ));
            }
            let (offset, size) = (usize::try_from(offset), usize::try_from(size));
            match (offset, size) {
                (Ok(offset), Ok(size)) => file.slice(offset, size).map_err(&at)?,
                _ => {
                    return Err(TfliteError::invalid(
                        location.as_str(),
                        "offset or size beyond this machine's addresses",
                    ));
                }
            }
        } else {
            data
        };
        buffers.push(data);
    }
    Ok(buffers)
}

fn operator_codes<'a>(root: &Table<'_, 'a>) -> Result<Vec<OperatorCode<'a>>, TfliteError> {
    let list = root
        .tables(field::model::OPERATOR_CODES)
        .map_err(wire("operator codes"))?;
    let mut codes = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let location = format!("operator code {i}");
        let at = wire(&location);
        let table = list.table(i).map_err(&at)?;
        let deprecated = table
            .i8(field::operator_code::DEPRECATED_BUILTIN_CODE, 0)
            .map_err(&at)?;
        let builtin = table.i32(field::operator_code::BUILTIN_CODE, 0).map_err(&at)?;
        // Files from before the 32-bit code have only the 8-bit one; newer
        // writers put 127 (a placeholder) there for codes above it.
        let builtin = BuiltinOperator(builtin.max(i32::from(deprecated)));
        let custom_code = table.string(field::operator_code::CUSTOM_CODE).map_err(&at)?;
        let version = table.i32(field::operator_code::VERSION, 1).map_err(&at)?;
        codes.push(OperatorCode {
            builtin,
            custom_code,
            version,
        });
    }
    Ok(codes)
}

fn index(location: &str, what: &str, value: i32, len: usize) -> Result<usize, TfliteError> {
    usize::try_from(value).ok().filter(|&i| i < len).ok_or_else(|| {
        TfliteError::invalid(
            location,
            format!("{what} {value} is not a tensor index (the subgraph has {len})"),
        )
    })
}

fn subgraph<'a>(
    table: &Table<'_, 'a>,
    codes: &[OperatorCode<'a>],
    buffers: &[&'a [u8]],
) -> Result<Subgraph<'a>, TfliteError> {
    let name = table.string(field::subgraph::NAME).map_err(wire("name"))?;
    let list = table.tables(field::subgraph::TENSORS).map_err(wire("tensors"))?;
    let mut tensors = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let location = format!("tensor {i}");
        let t = list.table(i).map_err(wire(&location))?;
        let t = tensor(&t, buffers).map_err(|e| {
            let named = t
                .string(field::tensor::NAME)
                .ok()
                .flatten()
                .map(|n| format!("tensor {i} `{n}`"));
            e.within(named.as_deref().unwrap_or(&location))
        })?;
        tensors.push(t);
    }
    let n = tensors.len();
    let ios = |id: usize, what: &'static str| -> Result<Vec<usize>, TfliteError> {
        let raw = table.i32s(id).map_err(wire(what))?;
        raw.into_iter().map(|t| index(what, "tensor", t, n)).collect()
    };
    let inputs = ios(field::subgraph::INPUTS, "inputs")?;
    let outputs = ios(field::subgraph::OUTPUTS, "outputs")?;
    let list = table.tables(field::subgraph::OPERATORS).map_err(wire("operators"))?;
    let mut operators = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let location = format!("operator {i}");
        let op = list.table(i).map_err(wire(&location))?;
        operators.push(operator(&op, codes, n, &location)?);
    }
    Ok(Subgraph {
        name,
        tensors,
        operators,
        inputs,
        outputs,
    })
}

fn tensor<'a>(table: &Table<'_, 'a>, buffers: &[&'a [u8]]) -> Result<Tensor<'a>, TfliteError> {
    let name = table.string(field::tensor::NAME).map_err(wire("name"))?.unwrap_or("");
    let raw_shape = table.i32s(field::tensor::SHAPE).map_err(wire("shape"))?;
    let shape = raw_shape
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| TfliteError::invalid("shape", format!("dimension {d} in {raw_shape:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let code = table.i8(field::tensor::TYPE, 0).map_err(wire("type"))?;
    let tensor_type = TensorType::from_code(code)
        .ok_or_else(|| TfliteError::invalid("type", format!("{code} is not a TFLite tensor type")))?;
    let buffer = table.u32(field::tensor::BUFFER, 0).map_err(wire("buffer"))? as usize;
    let data = buffers.get(buffer).ok_or_else(|| {
        TfliteError::invalid(
            "buffer",
            format!("index {buffer} is past the model's {} buffers", buffers.len()),
        )
    })?;
    if table
        .table(field::tensor::SPARSITY)
        .map_err(wire("sparsity"))?
        .is_some()
    {
        return Err(TfliteError::invalid("sparsity", "sparse tensors are not supported"));
    }
    if !data.is_empty() {
        let elements = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let expected = tensor_type.size().and_then(|size| elements?.checked_mul(size));
        if let Some(expected) = expected
            && expected != data.len()
        {
            return Err(TfliteError::invalid(
                "buffer",
                format!(
                    "{} bytes of data for {shape:?} {tensor_type:?} ({expected} bytes)",
                    data.len()
                ),
            ));
        }
    }
    let quantization = match table.table(field::tensor::QUANTIZATION).map_err(wire("quantization"))? {
        Some(q) => quantization(&q, &shape).map_err(|e| e.within("quantization"))?,
        None => None,
    };
    let is_variable = table
        .bool(field::tensor::IS_VARIABLE, false)
        .map_err(wire("is_variable"))?;
    Ok(Tensor {
        name,
        tensor_type,
        shape,
        buffer,
        quantization,
        is_variable,
    })
}

fn quantization(table: &Table<'_, '_>, shape: &[usize]) -> Result<Option<Quantization>, TfliteError> {
    let scale = table.f32s(field::quantization::SCALE).map_err(wire("scale"))?;
    let zero_point = table
        .i64s(field::quantization::ZERO_POINT)
        .map_err(wire("zero_point"))?;
    let details = table
        .u8(field::quantization::DETAILS_TYPE, 0)
        .map_err(wire("details"))?;
    let dimension = table
        .i32(field::quantization::QUANTIZED_DIMENSION, 0)
        .map_err(wire("quantized_dimension"))?;
    if details != 0 {
        return Err(TfliteError::invalid("details", "custom quantization is not supported"));
    }
    if scale.is_empty() {
        // TFLite treats quantization without scales as none (min/max only).
        return Ok(None);
    }
    if !zero_point.is_empty() && zero_point.len() != scale.len() {
        return Err(TfliteError::invalid(
            "zero_point",
            format!("{} zero points for {} scales", zero_point.len(), scale.len()),
        ));
    }
    let quantized_dimension = usize::try_from(dimension)
        .map_err(|_| TfliteError::invalid("quantized_dimension", format!("{dimension} is negative")))?;
    if scale.len() > 1 {
        let along = shape.get(quantized_dimension).ok_or_else(|| {
            TfliteError::invalid(
                "quantized_dimension",
                format!("{dimension} is not a dimension of {shape:?}"),
            )
        })?;
        if *along != scale.len() {
            return Err(TfliteError::invalid(
                "scale",
                format!("{} scales along dimension {dimension} of {shape:?}", scale.len()),
            ));
        }
    }
    Ok(Some(Quantization {
        scale,
        zero_point,
        quantized_dimension,
    }))
}

fn operator(
    table: &Table<'_, '_>,
    codes: &[OperatorCode<'_>],
    tensors: usize,
    location: &str,
) -> Result<Operator, TfliteError> {
    let opcode = table.u32(field::operator::OPCODE_INDEX, 0).map_err(wire(location))? as usize;
    let code = codes.get(opcode).ok_or_else(|| {
        TfliteError::invalid(
            location,
            format!(
                "opcode index {opcode} is past the model's {} operator codes",
                codes.len()
            ),
        )
    })?;
    let location = format!("{location} ({})", code.builtin);
    let inputs = table.i32s(field::operator::INPUTS).map_err(wire(&location))?;
    let inputs = inputs
        .into_iter()
        .map(|t| {
            if t == -1 {
                Ok(None)
            } else {
                index(&location, "input", t, tensors).map(Some)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = table.i32s(field::operator::OUTPUTS).map_err(wire(&location))?;
    let outputs = outputs
        .into_iter()
        .map(|t| index(&location, "output", t, tensors))
        .collect::<Result<Vec<_>, _>>()?;
    let options = builtin_options(table, code.builtin).map_err(|e| e.within(&location))?;
    Ok(Operator {
        opcode_index: opcode,
        builtin: code.builtin,
        inputs,
        outputs,
        options,
    })
}

/// The options table an operator must have, if typenet reads it.
fn expected_options(op: BuiltinOperator) -> Option<u8> {
    Some(match op {
        BuiltinOperator::CONV_2D => options_type::CONV_2D,
        BuiltinOperator::DEPTHWISE_CONV_2D => options_type::DEPTHWISE_CONV_2D,
        BuiltinOperator::FULLY_CONNECTED => options_type::FULLY_CONNECTED,
        BuiltinOperator::AVERAGE_POOL_2D | BuiltinOperator::MAX_POOL_2D => options_type::POOL_2D,
        BuiltinOperator::ADD => options_type::ADD,
        BuiltinOperator::RESHAPE => options_type::RESHAPE,
        BuiltinOperator::SOFTMAX => options_type::SOFTMAX,
        BuiltinOperator::QUANTIZE => options_type::QUANTIZE,
        BuiltinOperator::DEQUANTIZE => options_type::DEQUANTIZE,
        _ => return None,
    })
}

fn builtin_options(table: &Table<'_, '_>, op: BuiltinOperator) -> Result<BuiltinOptions, TfliteError> {
    let at = wire("builtin options");
    let code = table.u8(field::operator::BUILTIN_OPTIONS_TYPE, 0).map_err(&at)?;
    let options = table.table(field::operator::BUILTIN_OPTIONS).map_err(&at)?;
    if code == options_type::NONE && options.is_some() {
        return Err(TfliteError::invalid("builtin options", "a table without a type"));
    }
    let expected = expected_options(op);
    if let Some(expected) = expected
        && code != options_type::NONE
        && code != expected
    {
        return Err(TfliteError::invalid(
            "builtin options",
            format!(
                "{} where {op} takes {}",
                BuiltinOptions::Other(code).table_name(),
                BuiltinOptions::Other(expected).table_name()
            ),
        ));
    }
    // A known operator without a table gets the schema's defaults.
    let Some(code) = expected.or((code != options_type::NONE).then_some(code)) else {
        return Ok(BuiltinOptions::None);
    };
    let options = options.unwrap_or_else(|| table.empty_like());
    let p = |what: &'static str| wire(what);
    let padding = |t: &Table<'_, '_>| -> Result<Padding, TfliteError> {
        match t.i8(0, 0).map_err(p("padding"))? {
            0 => Ok(Padding::Same),
            1 => Ok(Padding::Valid),
            v => Err(TfliteError::invalid(
                "padding",
                format!("{v} is neither SAME (0) nor VALID (1)"),
            )),
        }
    };
    let activation = |t: &Table<'_, '_>, id: usize| -> Result<Activation, TfliteError> {
        let v = t.i8(id, 0).map_err(p("fused_activation_function"))?;
        Activation::from_code(v)
            .ok_or_else(|| TfliteError::invalid("fused_activation_function", format!("{v} is not a TFLite activation")))
    };
    let int = |t: &Table<'_, '_>, id: usize, default: i32, what: &'static str| t.i32(id, default).map_err(p(what));
    let t = &options;
    Ok(match code {
        options_type::CONV_2D => BuiltinOptions::Conv2d(Conv2dOptions {
            padding: padding(t)?,
            stride_w: int(t, 1, 0, "stride_w")?,
            stride_h: int(t, 2, 0, "stride_h")?,
            activation: activation(t, 3)?,
            dilation_w: int(t, 4, 1, "dilation_w_factor")?,
            dilation_h: int(t, 5, 1, "dilation_h_factor")?,
        }),
        options_type::DEPTHWISE_CONV_2D => BuiltinOptions::DepthwiseConv2d(DepthwiseConv2dOptions {
            padding: padding(t)?,
            stride_w: int(t, 1, 0, "stride_w")?,
            stride_h: int(t, 2, 0, "stride_h")?,
            depth_multiplier: int(t, 3, 0, "depth_multiplier")?,
            activation: activation(t, 4)?,
            dilation_w: int(t, 5, 1, "dilation_w_factor")?,
            dilation_h: int(t, 6, 1, "dilation_h_factor")?,
        }),
        options_type::FULLY_CONNECTED => BuiltinOptions::FullyConnected(FullyConnectedOptions {
            activation: activation(t, 0)?,
            weights_format: match t.i8(1, 0).map_err(p("weights_format"))? {
                0 => WeightsFormat::Default,
                1 => WeightsFormat::Shuffled4x16Int8,
                v => {
                    return Err(TfliteError::invalid(
                        "weights_format",
                        format!("{v} is not a TFLite weights format"),
                    ));
                }
            },
            keep_num_dims: t.bool(2, false).map_err(p("keep_num_dims"))?,
            asymmetric_quantize_inputs: t.bool(3, false).map_err(p("asymmetric_quantize_inputs"))?,
        }),
        options_type::POOL_2D => BuiltinOptions::Pool2d(Pool2dOptions {
            padding: padding(t)?,
            stride_w: int(t, 1, 0, "stride_w")?,
            stride_h: int(t, 2, 0, "stride_h")?,
            filter_width: int(t, 3, 0, "filter_width")?,
            filter_height: int(t, 4, 0, "filter_height")?,
            activation: activation(t, 5)?,
        }),
        options_type::ADD => BuiltinOptions::Add(AddOptions {
            activation: activation(t, 0)?,
            pot_scale_int16: t.bool(1, true).map_err(p("pot_scale_int16"))?,
        }),
        options_type::RESHAPE => BuiltinOptions::Reshape(ReshapeOptions {
            new_shape: t.i32s(0).map_err(p("new_shape"))?,
        }),
        options_type::SOFTMAX => BuiltinOptions::Softmax(SoftmaxOptions {
            beta: t.f32(0, 0.0).map_err(p("beta"))?,
        }),
        options_type::QUANTIZE => BuiltinOptions::Quantize,
        options_type::DEQUANTIZE => BuiltinOptions::Dequantize,
        other => BuiltinOptions::Other(other),
    })
}
