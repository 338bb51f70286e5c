import { PageHeader } from '../components/bits';
export function FunctionPage(props: { name: string; canAct: boolean }) {
  return <PageHeader title={props.name} />;
}
