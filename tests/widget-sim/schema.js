// The response-schema checker the simulator shares with the Rust tests (tests/common/schema.rs):
// the same JSON Schema subset over the same data file, tests/fixtures/widget/response-schemas.json.
export function makeChecker(root) {
  const resolve = (schema) => (schema && schema.$ref ? root.$defs[schema.$ref.replace('#/$defs/', '')] : schema);
  const typeMatches = (kind, value) => ({
    object: value !== null && typeof value === 'object' && !Array.isArray(value),
    array: Array.isArray(value),
    string: typeof value === 'string',
    number: typeof value === 'number',
    integer: Number.isInteger(value),
    boolean: typeof value === 'boolean',
    null: value === null,
  })[kind] ?? false;

  function check(schemaIn, value, at, problems) {
    const schema = resolve(schemaIn);
    if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) {
      problems.push(`${at}: expected ${JSON.stringify(schema.const)}`);
    }
    if (schema.type) {
      const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!allowed.some((t) => typeMatches(t, value))) {
        problems.push(`${at}: expected ${allowed.join('|')}, got ${JSON.stringify(value)?.slice(0, 80)}`);
        return;
      }
    }
    if (schema.enum && !schema.enum.some((o) => JSON.stringify(o) === JSON.stringify(value))) {
      problems.push(`${at}: not one of the allowed values`);
    }
    if (schema.anyOf && !schema.anyOf.some((s) => { const inner = []; check(s, value, at, inner); return inner.length === 0; })) {
      problems.push(`${at}: matches none of anyOf`);
    }
    if (typeMatches('object', value)) {
      for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${at}: missing "${key}"`);
      for (const [key, child] of Object.entries(value)) {
        const sub = schema.properties?.[key];
        if (sub) check(sub, child, `${at}.${key}`, problems);
        else if (schema.additionalProperties === false) problems.push(`${at}.${key}: not allowed`);
        else if (typeof schema.additionalProperties === 'object') check(schema.additionalProperties, child, `${at}.${key}`, problems);
      }
    }
    if (schema.items && Array.isArray(value)) value.forEach((item, i) => check(schema.items, item, `${at}[${i}]`, problems));
  }

  /** Problems of a whole rc-post-message-response for this registration key ([] = valid). */
  return function checkAnswer(key, message) {
    const problems = [];
    check(root.$defs.envelope, message, '$', problems);
    check(root.responses[key] ?? root.responses.default, message?.response, '$.response', problems);
    return problems;
  };
}
