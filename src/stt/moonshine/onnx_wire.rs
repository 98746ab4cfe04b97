//! A minimal protobuf rewrite of an ONNX model: give every nameless subgraph a name.
//!
//! ONNX Runtime can write an `.ort` model back out as ONNX, but the subgraphs of `If` nodes
//! come out without the name ONNX requires, so the file does not load again. Fields are kept
//! byte for byte; only the path model.graph → node.attribute → g / graphs (recursively) is
//! parsed, and a `name` is appended where it is missing.

const WIRE_VARINT: u8 = 0;
const WIRE_I64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_I32: u8 = 5;

const MODEL_GRAPH: u64 = 7;
const GRAPH_NODE: u64 = 1;
const GRAPH_NAME: u64 = 2;
const NODE_ATTRIBUTE: u64 = 5;
const ATTRIBUTE_G: u64 = 6;
const ATTRIBUTE_GRAPHS: u64 = 11;

struct Field<'a> {
    number: u64,
    wire: u8,
    /// The whole field as it was (tag and value).
    raw: &'a [u8],
    /// For length-delimited fields, the payload.
    payload: &'a [u8],
}

fn read_varint(data: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint too long".into())
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn fields(data: &[u8]) -> Result<Vec<Field<'_>>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let start = pos;
        let tag = read_varint(data, &mut pos)?;
        let (number, wire) = (tag >> 3, (tag & 7) as u8);
        let mut payload: &[u8] = &[];
        match wire {
            WIRE_VARINT => {
                read_varint(data, &mut pos)?;
            }
            WIRE_I64 => pos += 8,
            WIRE_I32 => pos += 4,
            WIRE_LEN => {
                let len = usize::try_from(read_varint(data, &mut pos)?)
                    .map_err(|_| "length too large")?;
                let end = pos.checked_add(len).ok_or("length too large")?;
                payload = data.get(pos..end).ok_or("truncated field")?;
                pos = end;
            }
            other => return Err(format!("unsupported wire type {other}")),
        }
        let raw = data.get(start..pos).ok_or("truncated field")?;
        out.push(Field {
            number,
            wire,
            raw,
            payload,
        });
    }
    Ok(out)
}

fn push_len_field(out: &mut Vec<u8>, number: u64, payload: &[u8]) {
    write_varint(out, (number << 3) | u64::from(WIRE_LEN));
    write_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// Rewrite `data` (a message), transforming the length-delimited fields whose number is in
/// `descend` with `f`; everything else is copied as it was.
type Transform<'a> = dyn FnMut(u64, &[u8]) -> Result<Vec<u8>, String> + 'a;

fn rewrite(data: &[u8], descend: &[u64], f: &mut Transform) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() + 64);
    for field in fields(data)? {
        if field.wire == WIRE_LEN && descend.contains(&field.number) {
            let payload = f(field.number, field.payload)?;
            push_len_field(&mut out, field.number, &payload);
        } else {
            out.extend_from_slice(field.raw);
        }
    }
    Ok(out)
}

fn patch_graph(graph: &[u8], name: &str, counter: &mut usize) -> Result<Vec<u8>, String> {
    let has_name = fields(graph)?
        .iter()
        .any(|f| f.number == GRAPH_NAME && f.wire == WIRE_LEN && !f.payload.is_empty());
    let mut out = rewrite(graph, &[GRAPH_NODE], &mut |_, node| {
        rewrite(node, &[NODE_ATTRIBUTE], &mut |_, attribute| {
            rewrite(
                attribute,
                &[ATTRIBUTE_G, ATTRIBUTE_GRAPHS],
                &mut |_, sub| {
                    *counter += 1;
                    let sub_name = format!("{name}_subgraph{counter}");
                    patch_graph(sub, &sub_name, counter)
                },
            )
        })
    })?;
    if !has_name {
        push_len_field(&mut out, GRAPH_NAME, name.as_bytes());
    }
    Ok(out)
}

/// Name every nameless graph of an ONNX model (a serialized `ModelProto`).
pub fn name_subgraphs(model: &[u8]) -> Result<Vec<u8>, String> {
    let mut counter = 0;
    let mut found = false;
    let out = rewrite(model, &[MODEL_GRAPH], &mut |_, graph| {
        found = true;
        patch_graph(graph, "main", &mut counter)
    })?;
    if !found {
        return Err("no graph in the model".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_field(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        push_len_field(&mut out, number, payload);
        out
    }

    #[test]
    fn nameless_subgraphs_get_names_and_other_fields_survive() {
        // graph { node { attribute { g { node {} } } name: "" } }, plus a varint field.
        let inner_graph = len_field(GRAPH_NODE, b"");
        let attribute = [
            len_field(1, b"then_branch"),
            len_field(ATTRIBUTE_G, &inner_graph),
        ]
        .concat();
        let node = [len_field(4, b"If"), len_field(NODE_ATTRIBUTE, &attribute)].concat();
        let graph = [len_field(GRAPH_NODE, &node), len_field(GRAPH_NAME, b"g")].concat();
        let model = [vec![0x08, 0x07], len_field(MODEL_GRAPH, &graph)].concat();

        let patched = name_subgraphs(&model).unwrap();
        let top = fields(&patched).unwrap();
        assert_eq!(top[0].raw, &[0x08, 0x07]);
        let graph = fields(top[1].payload).unwrap();
        let names: Vec<_> = graph.iter().filter(|f| f.number == GRAPH_NAME).collect();
        assert_eq!(names.len(), 1, "a named graph keeps its one name");
        assert_eq!(names[0].payload, b"g");
        let node = fields(graph[0].payload).unwrap();
        assert_eq!(node[0].payload, b"If");
        let attribute = fields(node[1].payload).unwrap();
        let sub = fields(attribute[1].payload).unwrap();
        let sub_name = sub.iter().find(|f| f.number == GRAPH_NAME).unwrap();
        assert_eq!(sub_name.payload, b"main_subgraph1");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(name_subgraphs(&[0x3a, 0xff, 0xff, 0x01]).is_err());
        assert!(name_subgraphs(b"").is_err());
    }
}
