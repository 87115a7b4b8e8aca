// Lua scripts are imported as text (`with { type: "text" }`) so they are bundled into the compiled binary.
declare module "*.lua" {
  const source: string;
  export default source;
}
