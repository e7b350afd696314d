/**
 * A minimal ONNX writer: enough of the protobuf wire format to serialise a ModelProto with one graph
 * of standard operators, float32 / int64 initialisers and typed inputs and outputs. It lets the
 * service build fixed-weight models (such as the default scattering encoder) in code, without Python
 * or a protobuf library. Output bytes depend only on the calls made, so a model is reproducible.
 *
 * Field numbers follow onnx/onnx.proto (proto2, so repeated scalars are written unpacked).
 */

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const ONNX_PRODUCER = 'lesion-retrieval-service';

/** TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT64: 7 } as const;
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** A dimension: a fixed size, or a symbolic name such as 'N' for the batch. */
export type OnnxDim = number | string;

/** An attribute value: integer → INT, float → FLOAT (pass `{ float: v }` for integral floats), number[] → INTS, string → STRING. */
export type OnnxAttribute = number | { float: number } | number[] | string;

// ------------------------------------------------------------------ protobuf wire format

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number | bigint): void {
    // int64 fields: negatives are written as their 64-bit two's complement (10 bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf int field ${field}: ${value} is not an integer`);
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

// ------------------------------------------------------------------ graph builder

interface ValueInfo {
  name: string;
  dims: OnnxDim[];
}

interface Initializer {
  name: string;
  dims: number[];
  dataType: OnnxDataType;
  raw: Uint8Array;
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: [string, OnnxAttribute][];
}

/**
 * Builds one ONNX graph (default domain, opset 17) and serialises it as a ModelProto.
 *
 *   const g = new OnnxGraphBuilder('demo');
 *   g.input('x', ['N', 1, 8, 8]);
 *   g.initializer('w', [1, 1, 3, 3], weights);
 *   g.node('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] });
 *   g.output('y', ['N', 1, 8, 8]);
 *   const bytes = g.toBytes();
 */
export class OnnxGraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: NodeSpec[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(
    readonly graphName = 'graph',
    private readonly docString = '',
  ) {}

  input(name: string, dims: OnnxDim[]): string {
    this.claim(name);
    this.inputs.push({ name, dims });
    return name;
  }

  /** Declares a graph output; `name` must be produced by a node (or be an input / initialiser). */
  output(name: string, dims: OnnxDim[]): string {
    this.outputs.push({ name, dims });
    return name;
  }

  /** A float32 constant tensor. */
  initializer(name: string, dims: number[], values: Float32Array | number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    checkSize(name, dims, data.length);
    const raw = new Uint8Array(data.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], dataType: OnnxDataType.FLOAT, raw });
    return name;
  }

  /** An int64 constant tensor (shapes, axes, pads, indices). */
  int64Initializer(name: string, dims: number[], values: number[]): string {
    checkSize(name, dims, values.length);
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => {
      if (!Number.isSafeInteger(v)) throw new Error(`int64 initializer ${name}: ${v} is not an integer`);
      view.setBigInt64(i * 8, BigInt(v), true);
    });
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], dataType: OnnxDataType.INT64, raw });
    return name;
  }

  /** Adds a node; returns its first output. Node names are generated from the op type when not given. */
  node(op: string, inputs: string[], outputs: string[], attributes: Record<string, OnnxAttribute> = {}, name?: string): string {
    for (const o of outputs) this.claim(o);
    this.nodes.push({ op, inputs: [...inputs], outputs: [...outputs], name: name ?? `${op}_${this.counter++}`, attributes: Object.entries(attributes) });
    return outputs[0];
  }

  /** A fresh tensor name with `prefix`. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  toBytes(): Uint8Array {
    const model = new ProtoWriter();
    model.int(1, ONNX_IR_VERSION);
    model.string(2, ONNX_PRODUCER);
    model.message(7, (g) => this.writeGraph(g));
    model.message(8, (opset) => opset.string(1, '').int(2, ONNX_OPSET));
    return model.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    for (const n of this.nodes) g.message(1, (w) => writeNode(w, n));
    g.string(2, this.graphName);
    for (const t of this.initializers) g.message(5, (w) => writeTensor(w, t));
    if (this.docString) g.string(10, this.docString);
    for (const v of this.inputs) g.message(11, (w) => writeValueInfo(w, v));
    for (const v of this.outputs) g.message(12, (w) => writeValueInfo(w, v));
  }

  private claim(name: string): void {
    if (!name) throw new Error('ONNX tensor names must not be empty');
    if (this.names.has(name)) throw new Error(`ONNX tensor name "${name}" is defined twice`);
    this.names.add(name);
  }
}

function checkSize(name: string, dims: number[], length: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) throw new Error(`initializer ${name}: dims [${dims}] need ${expected} values, got ${length}`);
}

function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, value] of n.attributes) w.message(5, (a) => writeAttribute(a, name, value));
}

function writeAttribute(w: ProtoWriter, name: string, value: OnnxAttribute): void {
  w.string(1, name);
  if (typeof value === 'string') {
    w.string(4, value).int(20, AttributeType.STRING);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, AttributeType.INTS);
  } else if (typeof value === 'object') {
    w.float(2, value.float).int(20, AttributeType.FLOAT);
  } else if (Number.isInteger(value)) {
    w.int(3, value).int(20, AttributeType.INT);
  } else {
    w.float(2, value).int(20, AttributeType.FLOAT);
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, OnnxDataType.FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}
