import { estimateCost, formatCost, formatUsd } from '../shared/cost';
import { form, options } from './composer';
import { ui } from './dom';

/**
 * The cost estimate next to Generate, updated as the options change (issue #14). The same function
 * the host uses for the confirmation and the budget (src/shared/cost.ts), with the rates the host
 * sent; quality `auto` counts as high, so the figure is an upper bound more often than not.
 */
export function updateEstimate(): void {
  const cost = form.defaults?.cost;
  if (!cost) {
    ui.estimate.textContent = '';
    return;
  }
  const chosen = options();
  const figure = estimateCost({ ...chosen, partialImages: cost.previewImages, prompt: ui.prompt.value }, cost.rates);
  const confirm = figure.usd > cost.confirmAboveUsd ? ` · asks first (over ${formatUsd(cost.confirmAboveUsd)})` : '';
  ui.estimate.textContent = `${formatCost(figure)}${confirm}`;
  ui.estimate.title = 'Estimated from size, quality and count at the configured token prices; the real cost is shown on the result.';
}
