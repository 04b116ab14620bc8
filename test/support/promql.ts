// Reads PromQL with the Prometheus project's own grammar (@prometheus-io/lezer-promql, the parser of Prometheus'
// web UI): which metrics an expression selects, with which label matchers, and which labels it groups by.
import { parser } from "@prometheus-io/lezer-promql";

export interface SelectorUse {
  metric: string;
  /** Label names the selector matches on. */
  labels: string[];
}

export interface QueryUse {
  selectors: SelectorUse[];
  /** Labels of by (...), without (...), on (...), ignoring (...), group_left/right (...). */
  grouping: string[];
  /** Text of the parts the grammar could not read (empty when the expression parses). */
  syntaxErrors: string[];
}

export function inspectQuery(expr: string): QueryUse {
  const tree = parser.parse(expr);
  const use: QueryUse = { selectors: [], grouping: [], syntaxErrors: [] };
  const text = (from: number, to: number) => expr.slice(from, to);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        use.syntaxErrors.push(`at ${node.from}: "${text(Math.max(0, node.from - 10), node.to + 10)}"`);
        return;
      }
      if (node.name === "VectorSelector") {
        let metric = "";
        const labels: string[] = [];
        const cursor = node.node.cursor();
        cursor.iterate((n) => {
          if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") metric = text(n.from, n.to);
          if (n.name === "LabelName" && n.node.parent?.name.endsWith("LabelMatcher")) {
            const name = text(n.from, n.to);
            if (name === "__name__") {
              const value = n.node.parent.getChild("StringLiteral");
              if (value) metric = JSON.parse(text(value.from, value.to).replace(/^'|'$/g, '"'));
            } else labels.push(name);
          }
        });
        use.selectors.push({ metric, labels });
        return false;
      }
      if (node.name === "GroupingLabels") {
        const cursor = node.node.cursor();
        cursor.iterate((n) => {
          if (n.name === "LabelName") use.grouping.push(text(n.from, n.to));
        });
        return false;
      }
      return undefined;
    },
  });
  return use;
}
