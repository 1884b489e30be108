import type { Locator } from 'playwright-core';

/** Waits for what a person would look for (playwright-core has no assertion library). */

const timeout = 10_000;

/** Resolves once the (first) element is visible; fails after the timeout. */
export async function see(locator: Locator, options: { timeout?: number } = {}): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout: options.timeout ?? timeout });
}

/** Resolves once the element shows `text`. */
export async function seeText(locator: Locator, text: string | RegExp): Promise<void> {
  await see(locator.filter({ hasText: text }));
}

/** Resolves once no element matches. */
export async function notSee(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: 'detached', timeout });
}
