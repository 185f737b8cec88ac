// The size of each function body in a .wasm, by function index (imports
// first, as V8's traces number them), read from the import and code sections
// of the binary: the start-up split names the functions compiled during the
// first constructor by index and size (pkg/'s .wasm has no name section).

function reader(bytes) {
  let at = 0;
  const r = {
    get at() { return at; },
    set at(v) { at = v; },
    byte: () => bytes[at++],
    u32() {
      let value = 0;
      for (let shift = 0; ; shift += 7) {
        const b = bytes[at++];
        value += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return value;
      }
    },
    skip(n) { at += n; },
    name() { r.skip(r.u32()); },
    limits() { if (r.byte() & 1) { r.u32(); r.u32(); } else r.u32(); },
  };
  return r;
}

/** { imported: function imports, bodies: [body bytes of function imported + i] }. */
export function functionSizes(bytes) {
  const r = reader(bytes);
  r.at = 8; // magic and version
  let imported = 0;
  const bodies = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) { imported++; r.u32(); }
        else if (kind === 1) { r.byte(); r.limits(); }
        else if (kind === 2) r.limits();
        else if (kind === 3) r.skip(2);
        else if (kind === 4) { r.byte(); r.u32(); }
        else throw new Error(`wasm: unknown import kind ${kind}`);
      }
    } else if (id === 10) {
      for (let n = r.u32(); n > 0; n--) {
        const body = r.u32();
        bodies.push(body);
        r.skip(body);
      }
    }
    r.at = end;
  }
  return { imported, bodies };
}
