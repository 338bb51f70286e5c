import { PageHeader } from '../components/bits';
export function FunctionsPage() {
  return <PageHeader title="Functions" />;
}
