// One name and a button beside it ("New note title" · New note): a new note in Notes, a new folder in Drive.
export function NameForm(props: { placeholder: string; button: string; value: string; onInput: (value: string) => void; onSubmit: (event: Event) => void }) {
  return (
    <form class="inline-form" onSubmit={props.onSubmit}>
      <label class="grow">
        <span class="sr-only">{props.placeholder}</span>
        <input placeholder={props.placeholder} required value={props.value} onInput={(e) => props.onInput(e.currentTarget.value)} />
      </label>
      <button type="submit">{props.button}</button>
    </form>
  );
}
