// Packages the pages use that ship no type declarations.
declare module "htl" {
  export function html(strings: TemplateStringsArray, ...values: unknown[]): any;
  export function svg(strings: TemplateStringsArray, ...values: unknown[]): any;
}
declare module "@observablehq/inputs" {
  const Inputs: any;
  export = Inputs;
}
