/** The console's forms: submitted without a page load, read by field name. */
import { byId } from '../web/dom.js';

export function onSubmit(id: string, handler: (form: HTMLFormElement) => Promise<void>): void {
  const form = byId<HTMLFormElement>(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void handler(form);
  });
}

export function field(form: HTMLFormElement, name: string): string {
  const element = form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement | null;
  return element?.value.trim() ?? '';
}
