import { PageHeader } from '../components/bits';
export function WorkersPage() {
  return <PageHeader title="Workers" />;
}
