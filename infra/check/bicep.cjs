'use strict';
// bicep.cjs parses Bicep and .bicepparam files with tree-sitter-bicep (the
// Bicep CLI is not available on developer machines or CI) and prints, as one
// JSON document, each file's syntax errors and an outline of its
// declarations: parameters, variables (with the keys of their object
// literals), outputs, modules and the params passed to them, module output
// references and load*() paths. The rules that use the outline live in Go
// (infra/check); this script only reads.
//
// usage: NODE_PATH=.tools/node_modules node infra/check/bicep.cjs FILE...
// exit status: 0 when every file was read (syntax errors are in the JSON),
// 2 for bad usage or an unreadable file, 3 when the parser packages are missing.

const fs = require('fs');

const LOADERS = new Set(['loadJsonContent', 'loadTextContent', 'loadYamlContent', 'loadFileAsBase64']);

function die(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

let TreeSitter;
let wasmPath;
try {
  TreeSitter = require('web-tree-sitter');
  wasmPath = require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
} catch (e) {
  die(3, 'web-tree-sitter or tree-sitter-bicep is not installed (' + e.message.split('\n')[0] + '): run `make tools`');
}

const line = (n) => n.startPosition.row + 1;
const column = (n) => n.startPosition.column + 1;
const named = (n) => n.namedChildren.filter((c) => c.type !== 'comment' && c.type !== 'diagnostic_comment');

function stringValue(n) {
  if (!n || n.type !== 'string') return null;
  if (n.namedChildren.some((c) => c.type === 'interpolation')) return null;
  return n.namedChildren.filter((c) => c.type === 'string_content' || c.type === 'escape_sequence').map((c) => c.text).join('');
}

function keyName(n) {
  if (n.type === 'identifier' || n.type === 'property_identifier' || n.type === 'compatible_identifier') return n.text;
  return stringValue(n);
}

// errors lists ERROR and MISSING nodes, outermost first.
function errors(root) {
  const out = [];
  const walk = (n) => {
    if (n.isMissing) {
      out.push({ line: line(n), column: column(n), message: 'missing ' + JSON.stringify(n.type) });
      return;
    }
    if (n.isError) {
      const text = n.text.replace(/\s+/g, ' ').slice(0, 40);
      out.push({ line: line(n), column: column(n), message: 'syntax error at ' + JSON.stringify(text) });
      return;
    }
    if (!n.hasError) return;
    for (const c of n.children) walk(c);
  };
  walk(root);
  return out;
}

// objectKeys returns the properties of the object literals that make up an
// expression: the object itself, or the arguments of a call such as union().
// Identifiers passed to such a call are reported as spreads.
function objectKeys(expr, keys, spreads) {
  if (!expr) return;
  switch (expr.type) {
    case 'object':
      for (const p of named(expr)) {
        if (p.type !== 'object_property') continue;
        const [k, v] = named(p);
        const name = k ? keyName(k) : null;
        if (name !== null) keys.push({ name, line: line(p), value: v ? v.text : '' });
      }
      break;
    case 'parenthesized_expression':
      for (const c of named(expr)) objectKeys(c, keys, spreads);
      break;
    case 'call_expression': {
      const args = expr.childForFieldName('arguments') || named(expr).find((c) => c.type === 'arguments');
      if (!args) break;
      for (const a of named(args)) {
        if (a.type === 'identifier') spreads.push(a.text);
        else objectKeys(a, keys, spreads);
      }
      break;
    }
    default:
  }
}

// literal turns a literal expression (strings without interpolation,
// numbers, booleans, null, and arrays and objects of those) into its JSON
// value; anything else is undefined.
function literal(n) {
  if (!n) return undefined;
  switch (n.type) {
    case 'string': {
      const v = stringValue(n);
      return v === null ? undefined : v;
    }
    case 'number':
      return Number(n.text);
    case 'boolean':
      return n.text === 'true';
    case 'null':
      return null;
    case 'parenthesized_expression':
      return literal(named(n)[0]);
    case 'unary_expression':
      return n.text.startsWith('-') && named(n)[0] && named(n)[0].type === 'number' ? -Number(named(n)[0].text) : undefined;
    case 'array': {
      const out = [];
      for (const c of named(n)) {
        const v = literal(c);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 'object': {
      const out = {};
      for (const p of named(n)) {
        if (p.type !== 'object_property') return undefined;
        const [k, v] = named(p);
        const key = k ? keyName(k) : null;
        const val = literal(v);
        if (key === null || val === undefined) return undefined;
        out[key] = val;
      }
      return out;
    }
    default:
      return undefined;
  }
}

function bodyObject(n) {
  for (const c of named(n)) {
    if (c.type === 'object') return c;
    if (c.type === 'for_statement') return c.childForFieldName('body') || bodyObject(c);
    if (c.type === 'if_statement') return bodyObject(c);
  }
  return null;
}

function property(obj, name) {
  if (!obj) return null;
  for (const p of named(obj)) {
    if (p.type !== 'object_property') continue;
    const [k, v] = named(p);
    if (k && keyName(k) === name) return v || null;
  }
  return null;
}

function decoratorNames(n) {
  const prev = n.previousNamedSibling;
  if (!prev || prev.type !== 'decorators') return [];
  const out = [];
  for (const d of named(prev)) {
    const call = named(d)[0];
    if (!call) continue;
    const fn = call.type === 'call_expression' ? (call.childForFieldName('function') || named(call)[0]) : call;
    if (fn) out.push(fn.text.replace(/^sys\./, ''));
  }
  return out;
}

function outline(root) {
  const o = { params: [], vars: [], outputs: [], modules: [], resources: [], symbols: [], outputRefs: [], loads: [], using: null };
  for (const n of named(root)) {
    const parts = named(n);
    const id = parts[0];
    switch (n.type) {
      case 'parameter_declaration': {
        const type = parts[1];
        const optional = !!type && (type.type === 'nullable_type' || named(type).some((c) => c.type === 'nullable_type'));
        const decorators = decoratorNames(n);
        o.params.push({ name: id.text, line: line(n), hasDefault: parts.length >= 3 || optional, secure: decorators.includes('secure') });
        o.symbols.push({ name: id.text, line: line(n) });
        break;
      }
      case 'variable_declaration': {
        const keys = [];
        const spreads = [];
        const expr = parts[parts.length - 1];
        objectKeys(expr, keys, spreads);
        o.vars.push({ name: id.text, line: line(n), keys, spreads, text: expr ? expr.text : '', value: literal(expr) });
        o.symbols.push({ name: id.text, line: line(n) });
        break;
      }
      case 'output_declaration':
        o.outputs.push({ name: id.text, line: line(n) });
        break;
      case 'module_declaration': {
        const path = stringValue(parts.find((c) => c.type === 'string'));
        const params = property(bodyObject(n), 'params');
        const keys = [];
        if (params) objectKeys(params, keys, []);
        o.modules.push({ name: id.text, line: line(n), path, params: keys.map((k) => k.name), paramsIsObject: !params || params.type === 'object' });
        o.symbols.push({ name: id.text, line: line(n) });
        break;
      }
      case 'resource_declaration':
        o.resources.push({ name: id.text, line: line(n), type: stringValue(parts.find((c) => c.type === 'string')) });
        o.symbols.push({ name: id.text, line: line(n) });
        break;
      case 'type_declaration':
      case 'user_defined_function':
        if (id) o.symbols.push({ name: id.text, line: line(n) });
        break;
      case 'using_statement':
        o.using = stringValue(parts.find((c) => c.type === 'string'));
        break;
      default:
    }
  }
  const walk = (n) => {
    if (n.type === 'call_expression') {
      const fn = n.childForFieldName('function') || named(n)[0];
      if (fn && LOADERS.has(fn.text)) {
        const args = named(n).find((c) => c.type === 'arguments');
        const first = args ? named(args)[0] : null;
        o.loads.push({ function: fn.text, path: stringValue(first), line: line(n) });
      }
    }
    if (n.type === 'member_expression') {
      const obj = n.childForFieldName('object');
      const prop = n.childForFieldName('property');
      if (obj && prop && obj.type === 'member_expression') {
        const inner = obj.childForFieldName('object');
        const mid = obj.childForFieldName('property');
        if (inner && mid && inner.type === 'identifier' && mid.text === 'outputs') {
          o.outputRefs.push({ module: inner.text, output: prop.text, line: line(n) });
        }
      }
    }
    for (const c of n.namedChildren) walk(c);
  };
  walk(root);
  return o;
}

// A .bicepparam file is Bicep-like but not Bicep: `param NAME = value` has
// no type. Rewriting `param` to `var` (padded, so columns stay true) lets the
// Bicep grammar check every value expression.
function paramFileAsBicep(src) {
  return src.replace(/^(\s*)param(\s+[A-Za-z_][A-Za-z0-9_]*\s*=)/gm, '$1var  $2');
}

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) die(2, 'usage: bicep.cjs FILE...');
  const { Parser, Language } = TreeSitter;
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasmPath));
  const result = { files: [] };
  for (const file of files) {
    let src;
    try {
      src = fs.readFileSync(file, 'utf8');
    } catch (e) {
      die(2, 'reading ' + file + ': ' + e.message);
    }
    const isParams = file.endsWith('.bicepparam');
    const tree = parser.parse(isParams ? paramFileAsBicep(src) : src);
    const entry = { path: file, kind: isParams ? 'bicepparam' : 'bicep', errors: errors(tree.rootNode), ...outline(tree.rootNode) };
    if (isParams) {
      entry.assignments = entry.vars.map((v) => ({ name: v.name, line: v.line, text: v.text, value: v.value }));
      entry.vars = [];
    }
    result.files.push(entry);
    tree.delete();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
})().catch((e) => die(1, String(e && e.stack ? e.stack : e)));
