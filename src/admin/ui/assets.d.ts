// The dashboard's style sheet is imported as text (`with { type: "text" }`) and bundled into the binary.
declare module "*.css" {
  const text: string;
  export default text;
}
